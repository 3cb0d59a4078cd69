package io.loraflow.offsets;

import java.util.OptionalLong;
import java.util.TreeSet;

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
  private final TreeSet<Long> incomplete = new TreeSet<>();
  private long highestReceived = -1;
  private long committed = -1;
  private boolean revoked;
  /** Events started and not yet completed (received ones waiting for a slot are not counted). */
  private int inProgress;

  public void received(long offset) {
    if (revoked) {
      return;
    }
    incomplete.add(offset);
    highestReceived = Math.max(highestReceived, offset);
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
    if (!revoked) {
      incomplete.remove(offset);
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
    return OptionalLong.of(incomplete.isEmpty() ? highestReceived + 1 : incomplete.first());
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

  public void revoke() {
    revoked = true;
  }

  public boolean isRevoked() {
    return revoked;
  }

  public int incompleteCount() {
    return incomplete.size();
  }
}
