package io.loraflow.offsets;

import java.util.OptionalLong;

/**
 * Offset state of one assigned partition: which received offsets are not yet published.
 *
 * <p>Offsets: the commit position is computed, never stored. It is the lowest incomplete offset,
 * or one past the highest received when nothing is incomplete. Only offsets actually received are
 * tracked, so gaps (compaction, transaction markers) count as done.
 *
 * <p>A revoked partition's state is {@link #revoke() revoked}: late completions of events polled
 * before the revoke are ignored, and it never yields a commit again. Every event carries the state
 * object it was received under, which fences it off from a later assignment of the same partition.
 *
 * <p>Concurrency: event loop only.
 */
public final class PartitionOffsets {
  // Received offsets in order, from the lowest incomplete one: a ring of offsets and done flags
  // (offsets arrive in increasing order; completion is any order). No boxing, O(log n) lookup.
  private long[] ring = new long[64];
  private boolean[] done = new boolean[64];
  private int head;
  private int size;
  private int incompleteCount;
  private long highestReceived = -1;
  private long committed = -1;
  private boolean revoked;
  private boolean sealed;
  /** Events started and not yet completed (received ones waiting for a slot are not counted). */
  private int inProgress;

  public void received(long offset) {
    if (revoked || offset <= highestReceived) {
      return; // a record read twice under one state (never expected): its first copy counts
    }
    if (size == ring.length) {
      grow();
    }
    int i = (head + size) & (ring.length - 1);
    ring[i] = offset;
    done[i] = false;
    size++;
    incompleteCount++;
    highestReceived = offset;
  }

  private void grow() {
    long[] r = new long[ring.length * 2];
    boolean[] d = new boolean[ring.length * 2];
    for (int k = 0; k < size; k++) {
      int i = (head + k) & (ring.length - 1);
      r[k] = ring[i];
      d[k] = done[i];
    }
    ring = r;
    done = d;
    head = 0;
  }

  /** An event of this partition started processing. */
  public void started() {
    inProgress++;
  }

  /** A started event finished, with an outcome ({@code done}) or abandoned. */
  public void finished(long offset, boolean done) {
    inProgress--;
    if (done) {
      completed(offset);
    }
  }

  public void completed(long offset) {
    if (revoked) {
      return;
    }
    int lo = 0;
    int hi = size - 1;
    int mask = ring.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long v = ring[(head + mid) & mask];
      if (v < offset) {
        lo = mid + 1;
      } else if (v > offset) {
        hi = mid - 1;
      } else {
        int i = (head + mid) & mask;
        if (!done[i]) {
          done[i] = true;
          incompleteCount--;
        }
        while (size > 0 && done[head]) { // the done prefix is behind the position: drop it
          head = (head + 1) & mask;
          size--;
        }
        return;
      }
    }
  }

  /** Events of this partition started and not yet finished. */
  public int inProgress() {
    return inProgress;
  }

  /** The next offset to consume after every published event, or empty if nothing was received. */
  public OptionalLong position() {
    if (highestReceived < 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(size == 0 ? highestReceived + 1 : ring[head]);
  }

  /** The position to commit if it moved since the last successful commit. */
  public OptionalLong toCommit() {
    OptionalLong p = position();
    return !revoked && p.isPresent() && p.getAsLong() > committed ? p : OptionalLong.empty();
  }

  /** Records a successful commit (a commit that raced newer completions stays dirty). */
  public void committed(long position) {
    committed = Math.max(committed, position);
  }

  /** The last position committed successfully (every offset below it is done), or -1. */
  public long committedPosition() {
    return committed;
  }

  /**
   * The consumer's position moved to {@code position} (it skipped transaction markers, aborted
   * or compacted records): with nothing incomplete, the commit position follows it.
   */
  public void advanceTo(long position) {
    if (!revoked && position - 1 > highestReceived) {
      highestReceived = position - 1;
    }
  }

  /**
   * No outcome of this partition may be published from now on (its partition is being handed
   * over, or its work was thrown away): what is done can still be committed.
   */
  public void seal() {
    sealed = true;
  }

  /** True once sealed or revoked: an outcome of this partition must not be published. */
  public boolean isSealed() {
    return sealed || revoked;
  }

  public void revoke() {
    revoked = true;
  }

  public boolean isRevoked() {
    return revoked;
  }

  public int incompleteCount() {
    return incompleteCount;
  }
}
