package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

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
  /** Completed offsets whose commit is pending; each holds a slot. */
  private final Map<PartitionOffsets, TreeSet<Long>> awaiting = new HashMap<>();
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
    awaiting.computeIfAbsent(state, s -> new TreeSet<>()).add(offset);
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
      TreeSet<Long> done = e.getValue();
      if (e.getKey().isRevoked()) {
        done.forEach(o -> slots.release());
        done.clear();
      } else {
        long committed = e.getKey().committedPosition();
        while (!done.isEmpty() && done.first() < committed) {
          done.pollFirst();
          slots.release();
        }
      }
      if (done.isEmpty()) {
        it.remove();
      }
    }
    afterRelease.run();
  }

  /** Stops the timer and commits what is done. */
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return offsets.commitAll();
  }
}
