package io.loraflow.ingest;

import io.loraflow.offsets.OffsetCommitter;
import io.loraflow.offsets.OffsetSink;
import io.loraflow.offsets.PartitionOffsets;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the input topic and starts one event per record, never more than the in-flight limit
 * at once.
 *
 * <h2>Backpressure</h2>
 * When the {@link InFlightGate} is full, the assigned <em>partitions</em> are paused
 * ({@code pause(Set<TopicPartition>)}); the poll loop keeps running, so the member stays in its
 * group however long the pause lasts. The stream-level {@code pause()} would stop polling and get
 * the member evicted after {@code max.poll.interval.ms}. Records already fetched when the pause
 * takes effect wait in {@link #waiting}, admitted but not in flight. Partitions resume when the
 * gate drops to its low mark; Kafka forgets pauses of newly assigned partitions, so they are
 * paused again on assignment.
 *
 * <p>Our view of the assignment lags the consumer's during a rebalance (the handlers run after
 * the rebalance callback), and {@code pause}/{@code resume} of a set holding a partition the
 * consumer no longer owns fails part-way, leaving the rest in the old state. A partition left
 * paused would never be read again, so a failed call is retried with the view of the moment, and
 * every {@value #PAUSE_CHECK_MS} ms the consumer's paused set is compared with what it should be.
 *
 * <h2>Offsets</h2>
 * Every record is registered with its partition's {@link PartitionOffsets} on arrival and marked
 * complete when its outcome (result or dead letter) is acknowledged; {@link OffsetCommitter}
 * commits from that. An event keeps its in-flight slot until its offset is committed (a full gate
 * triggers a commit at once), so a crash repeats at most {@code max.in.flight} events.
 *
 * <p>Concurrency: event loop only (the consumer's handlers run on the deploying context).
 */
public final class RecordIngest {
  private static final Logger LOG = LoggerFactory.getLogger(RecordIngest.class);
  static final long PAUSE_CHECK_MS = 5_000;
  private static final long PAUSE_RETRY_MS = 100;

  private final Vertx vertx;
  private final KafkaConsumer<Buffer, Buffer> consumer;
  private final String topic;
  private final InFlightGate gate;
  private final OffsetCommitter offsets;
  private final Function<KafkaConsumerRecord<Buffer, Buffer>, Future<Void>> processor;
  private final long commitIntervalMs;

  // Event loop only.
  private final ArrayDeque<Admitted> waiting = new ArrayDeque<>();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private boolean paused;
  private long pausedSinceNanos;
  private long longestPauseNanos;
  private int assignments;
  private int revocations;
  private volatile boolean joined;
  private boolean stopping;
  private boolean closed;
  /** pause/resume calls issued, to tell a stale answer of {@code paused()} from a current one. */
  private long pauseCalls;
  private long commitTimer = -1;
  private long pauseCheckTimer = -1;
  private Promise<Void> drained;
  /** Events between start and outcome (a subset of the gate's count). */
  private int processing;
  /** Completed offsets whose commit is pending; each holds a gate slot. */
  private final Map<PartitionOffsets, TreeSet<Long>> awaitingCommit = new HashMap<>();
  private boolean committing;
  private final int commitMark;

  /**
   * {@code processor} handles one record and completes when its outcome is acknowledged by the
   * broker; it must never fail (a failure would leave the offset incomplete forever).
   */
  public RecordIngest(Vertx vertx, KafkaConsumer<Buffer, Buffer> consumer, String topic,
      InFlightGate gate, OffsetSink offsetSink, long commitIntervalMs,
      Function<KafkaConsumerRecord<Buffer, Buffer>, Future<Void>> processor) {
    this.vertx = vertx;
    this.consumer = consumer;
    this.topic = topic;
    this.gate = gate;
    this.offsets = new OffsetCommitter(offsetSink);
    this.commitMark = Math.max(1, gate.limit() / 2);
    this.commitIntervalMs = commitIntervalMs;
    this.processor = processor;
  }

  public Future<Void> start() {
    consumer.partitionsAssignedHandler(this::onAssigned);
    consumer.partitionsRevokedHandler(this::onRevoked);
    consumer.exceptionHandler(e -> LOG.warn("event=consumer_error error={}", e.toString()));
    consumer.handler(this::onRecord);
    commitTimer = vertx.setPeriodic(commitIntervalMs, id -> commitNow());
    pauseCheckTimer = vertx.setPeriodic(PAUSE_CHECK_MS, id -> checkPausedPartitions());
    return consumer.subscribe(topic);
  }

  private void onRecord(KafkaConsumerRecord<Buffer, Buffer> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    PartitionOffsets state = offsets.get(tp);
    if (state == null) {
      // Records are delivered after their assignment; this only guards against a lost callback.
      state = offsets.assigned(tp);
      assigned.add(tp);
    }
    state.received(record.offset());
    Admitted admitted = new Admitted(record, state);
    if (!stopping && gate.hasRoom() && waiting.isEmpty()) {
      begin(admitted);
    } else {
      waiting.add(admitted);
    }
    if (!gate.hasRoom()) {
      pauseAll();
    }
  }

  private void begin(Admitted a) {
    gate.acquire();
    processing++;
    processor.apply(a.record).onComplete(ar -> {
      processing--;
      if (ar.failed()) {
        LOG.error("event=processor_failed offset={} error={}", a.record.offset(), ar.cause().toString());
        gate.release();
      } else if (a.state.isRevoked()) {
        gate.release(); // no longer ours to commit
      } else {
        // The slot stays taken until the offset is committed: after a crash, only events holding
        // a slot can be processed again, so duplicates stay within max.in.flight.
        a.state.completed(a.record.offset());
        awaitingCommit.computeIfAbsent(a.state, s -> new TreeSet<>()).add(a.record.offset());
        if (gate.inFlight() >= commitMark) {
          // Half the slots wait for a commit: commit now rather than at the next interval, so
          // slots come back while the other half is still being processed.
          commitNow();
        }
      }
      startWaiting();
      maybeResume();
      if (drained != null && processing == 0) {
        drained.tryComplete();
      }
    });
  }

  /** Commits what is done now (one commit at a time), then frees the slots of committed events. */
  private void commitNow() {
    if (committing) {
      return;
    }
    committing = true;
    offsets.commitAll().onComplete(ar -> {
      committing = false;
      releaseCommitted();
    });
  }

  private void releaseCommitted() {
    for (var it = awaitingCommit.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      TreeSet<Long> done = e.getValue();
      if (e.getKey().isRevoked()) {
        done.forEach(o -> gate.release());
        done.clear();
      } else {
        long committed = e.getKey().committedPosition();
        while (!done.isEmpty() && done.first() < committed) {
          done.pollFirst();
          gate.release();
        }
      }
      if (done.isEmpty()) {
        it.remove();
      }
    }
    startWaiting();
    maybeResume();
  }

  private void startWaiting() {
    while (!stopping && gate.hasRoom() && !waiting.isEmpty()) {
      Admitted a = waiting.poll();
      if (!a.state.isRevoked()) {
        begin(a);
      }
    }
  }

  private void pauseAll() {
    if (!paused && !assigned.isEmpty()) {
      paused = true;
      pausedSinceNanos = System.nanoTime();
      LOG.info("event=partitions_paused inFlight={} waiting={} partitions={}", gate.inFlight(),
          waiting.size(), assigned.size());
      applyPauseState();
    }
  }

  private void maybeResume() {
    if (paused && !stopping && waiting.isEmpty() && gate.belowLowMark()) {
      paused = false;
      long pausedNanos = System.nanoTime() - pausedSinceNanos;
      longestPauseNanos = Math.max(longestPauseNanos, pausedNanos);
      LOG.info("event=partitions_resumed inFlight={} pausedMs={}", gate.inFlight(), pausedNanos / 1_000_000);
      applyPauseState();
    }
  }

  private boolean wantPaused() {
    return paused || stopping;
  }

  /** Pauses or resumes every partition we own, as {@link #wantPaused()} says; retried on failure. */
  private void applyPauseState() {
    if (assigned.isEmpty()) {
      return;
    }
    boolean pause = wantPaused();
    Set<TopicPartition> parts = Set.copyOf(assigned);
    pauseCalls++;
    (pause ? consumer.pause(parts) : consumer.resume(parts)).onFailure(err -> {
      LOG.warn("event=pause_state_retry paused={} partitions={} error={}", pause, parts, err.toString());
      vertx.setTimer(PAUSE_RETRY_MS, id -> {
        if (!closed) {
          applyPauseState();
        }
      });
    });
  }

  /** The safety net: repairs any difference between the consumer's paused set and ours. */
  private void checkPausedPartitions() {
    long callsBefore = pauseCalls;
    consumer.paused().onSuccess(pausedNow -> {
      if (pauseCalls != callsBefore) {
        return; // a pause or resume was issued meanwhile: the answer may predate it
      }
      boolean wrong = wantPaused() ? !pausedNow.containsAll(assigned) : !pausedNow.isEmpty();
      if (wrong && !closed) {
        LOG.warn("event=pause_state_repaired paused={} consumerPaused={} assigned={}", wantPaused(),
            pausedNow, assigned);
        if (wantPaused()) {
          applyPauseState();
        } else {
          consumer.resume(pausedNow); // a failure is retried at the next check
        }
      }
    });
  }

  private void onAssigned(Set<TopicPartition> added) {
    joined = true;
    LOG.info("event=partitions_assigned partitions={}", added);
    if (!added.isEmpty()) {
      assignments++;
    }
    for (TopicPartition tp : added) {
      PartitionOffsets existing = offsets.get(tp);
      if (existing == null || existing.isRevoked()) {
        offsets.assigned(tp);
      }
    }
    assigned.addAll(added);
    if (wantPaused()) {
      applyPauseState(); // Kafka forgets pauses on assignment
    }
  }

  private void onRevoked(Set<TopicPartition> revoked) {
    LOG.info("event=partitions_revoked partitions={}", revoked);
    if (!revoked.isEmpty()) {
      revocations++;
    }
    assigned.removeAll(revoked);
    waiting.removeIf(a -> revoked.contains(new TopicPartition(a.record.topic(), a.record.partition())));
    offsets.revoked(revoked).onComplete(ar -> releaseCommitted());
  }

  /**
   * Stops taking records, waits up to {@code timeoutMs} for in-flight events to be published,
   * commits what is done and closes the consumer. Waiting records are left to the next owner.
   */
  public Future<Void> stop(long timeoutMs) {
    stopping = true;
    applyPauseState();
    waiting.clear();
    drained = Promise.promise();
    if (processing == 0) {
      drained.tryComplete();
    }
    long timer = vertx.setTimer(Math.max(1, timeoutMs), id -> {
      LOG.warn("event=shutdown_timeout inFlight={}", processing);
      drained.tryComplete();
    });
    return drained.future()
        .compose(v -> {
          vertx.cancelTimer(timer);
          vertx.cancelTimer(commitTimer);
          vertx.cancelTimer(pauseCheckTimer);
          return offsets.commitAll();
        })
        .compose(v -> {
          closed = true;
          return consumer.close();
        });
  }

  /** Events started and not yet published. */
  public int processing() {
    return processing;
  }

  /** Events started and not yet committed (processing, or done and awaiting their commit). */
  public int inFlight() {
    return gate.inFlight();
  }

  /** True once the consumer has joined its group (even with no partitions to own). */
  public boolean joined() {
    return joined;
  }

  /** Partitions paused for backpressure right now. */
  public int pausedPartitions() {
    return paused ? assigned.size() : 0;
  }

  /** Longest time the partitions stayed paused, in ms. */
  public long longestPauseMs() {
    return longestPauseNanos / 1_000_000;
  }

  /** Assignments of a non-empty set of partitions (the first join counts as one). */
  public int assignments() {
    return assignments;
  }

  /** Revocations of a non-empty set of partitions. */
  public int revocations() {
    return revocations;
  }

  private record Admitted(KafkaConsumerRecord<Buffer, Buffer> record, PartitionOffsets state) {
  }
}
