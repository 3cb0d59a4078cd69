package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;

/**
 * Decides when positions are committed and frees the in-flight slots of committed events: every
 * {@code commit.interval.ms}, and at once when half the slots hold events that are done but not
 * yet committed (so slots come back while the other half is still processed). An event keeps its
 * slot until its offset is committed: after a crash only events holding a slot can be repeated,
 * so duplicates stay within {@code max.in.flight}.
 *
 * <p>Concurrency: event loop only.
 */
public final class CommitTrigger {
  /** Frees one in-flight slot. */
  public interface Slots {
    void release();

    /** Slots taken now. */
    int taken();
  }

  private final Vertx vertx;
  private final OffsetCommitter offsets;
  private final Slots slots;
  private final int mark;
  private final Runnable afterRelease;
  private final long timer;

  // Event loop only.
  /** Completed offsets whose commit is pending, unordered (scanned once per commit); each holds a slot. */
  private final Map<PartitionOffsets, Pending> awaiting = new HashMap<>();
  private boolean committing;

  /**
   * {@code afterRelease} runs after slots were freed (the ingest admits waiting records);
   * {@code maxInFlight} sets the commit-now mark at half of it.
   */
  public CommitTrigger(Vertx vertx, OffsetCommitter offsets, Slots slots, int maxInFlight, long intervalMs,
      Runnable afterRelease) {
    this.vertx = vertx;
    this.offsets = offsets;
    this.slots = slots;
    this.mark = Math.max(1, maxInFlight / 2);
    this.afterRelease = afterRelease;
    this.timer = vertx.setPeriodic(intervalMs, id -> commitNow());
  }

  /** An event's outcome was acknowledged: its slot waits for the commit of {@code offset}. */
  public void completed(PartitionOffsets state, long offset) {
    awaiting.computeIfAbsent(state, s -> new Pending()).add(offset);
    if (slots.taken() >= mark) {
      commitNow();
    }
  }

  /** Commits what is done now (one commit at a time), then frees the slots of committed events. */
  public void commitNow() {
    if (committing) {
      return;
    }
    committing = true;
    offsets.commitAll().onComplete(ar -> {
      committing = false;
      releaseCommitted();
    });
  }

  /** Frees the slots of committed events, and of events whose partition was given up. */
  public void releaseCommitted() {
    for (var it = awaiting.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      long below = e.getKey().isRevoked() ? Long.MAX_VALUE : e.getKey().committedPosition();
      int freed = e.getValue().removeBelow(below);
      for (int i = 0; i < freed; i++) {
        slots.release();
      }
      if (e.getValue().size == 0) {
        it.remove();
      }
    }
    afterRelease.run();
  }

  /** A partition's completed, uncommitted offsets: a plain growable array, no boxing. */
  private static final class Pending {
    long[] offsets = new long[32];
    int size;

    void add(long offset) {
      if (size == offsets.length) {
        offsets = java.util.Arrays.copyOf(offsets, size * 2);
      }
      offsets[size++] = offset;
    }

    /** Drops the offsets below {@code position}; returns how many. */
    int removeBelow(long position) {
      int kept = 0;
      for (int i = 0; i < size; i++) {
        if (offsets[i] >= position) {
          offsets[kept++] = offsets[i];
        }
      }
      int removed = size - kept;
      size = kept;
      return removed;
    }
  }

  /** Stops the timer and commits what is done. */
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return offsets.commitAll();
  }
}
