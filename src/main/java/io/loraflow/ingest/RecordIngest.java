package io.loraflow.ingest;

import io.loraflow.offsets.CommitTrigger;
import io.loraflow.offsets.OffsetCommitter;
import io.loraflow.offsets.OffsetSink;
import io.loraflow.offsets.PartitionOffsets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits the input topic's records as {@link Event}s, never more than the in-flight limit at
 * once, and keeps their partitions' offsets.
 *
 * <h2>Backpressure</h2>
 * When the {@link InFlightGate} is full, the {@link PollLoop} is asked to pause every assigned
 * partition; it keeps polling, so the member stays in its group however long the pause lasts.
 * Records already handed over wait in {@link #waiting}, admitted but not in flight. Partitions
 * resume when the gate drops to its low mark.
 *
 * <h2>Offsets</h2>
 * A record is tracked by the {@link PartitionOffsets} of its partition, taken when it arrives; a
 * record of a partition this member does not own (a revoke overtook it) is dropped, for its
 * owner to read. The consumer's positions past records it never hands out (transaction markers,
 * aborted records) move the commit position too. An event keeps its in-flight slot until its
 * offset is committed ({@link CommitTrigger}), so a crash repeats at most {@code max.in.flight}
 * events.
 *
 * <h2>Rebalances</h2>
 * A revoke (see {@link PollLoop}) drops the revoked partitions' waiting records, lets their
 * started events finish for up to {@value #REVOKE_DRAIN_MS} ms, seals them (no later outcome of
 * theirs is published) and answers with the positions to commit, so a cooperative hand-over
 * repeats almost nothing. {@link #reset} throws away all
 * progress and rewinds to the committed positions (after an aborted transaction).
 *
 * <p>Concurrency: event loop only.
 */
public final class RecordIngest implements Ingest, PollLoop.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(RecordIngest.class);
  static final long REVOKE_DRAIN_MS = 5_000;
  /** Bound of the revoke callback: drain, then a transactional commit with its own timeout. */
  static final long REVOKE_WAIT_MS = 25_000;

  private final Vertx vertx;
  private final Context context;
  private final PollLoop poll;
  private final InFlightGate gate;
  private final OffsetCommitter offsets;
  private final Function<Event, Future<Void>> processor;
  private final long commitIntervalMs;
  private final PauseControl pause;
  private final java.util.function.Consumer<Throwable> fatal;
  private CommitTrigger commits;

  // Event loop only.
  private final ArrayDeque<Event> waiting = new ArrayDeque<>();
  private long epoch;
  private int assignments;
  private int revocations;
  private volatile boolean joined;
  private boolean stopping;
  private ShutdownDrain drained;
  /** Events between start and outcome (a subset of the gate's count). */
  private int processing;

  /**
   * {@code consumerProps} configure the input consumer; {@code sink} is made for its
   * {@link PollLoop}. {@code processor} takes one event to its outcome and completes when that
   * outcome is acknowledged by the broker; it fails only when the outcome was abandoned (the
   * publisher closed or reset), never for bad input. {@code fatal} is told when the consumer's
   * thread ends on an unexpected error.
   */
  public RecordIngest(Vertx vertx, Map<String, Object> consumerProps, String topic, InFlightGate gate,
      Function<PollLoop, OffsetSink> sink, long commitIntervalMs, Function<Event, Future<Void>> processor,
      java.util.function.Consumer<Throwable> fatal) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.poll = new PollLoop(context, consumerProps, topic, this, REVOKE_WAIT_MS);
    this.gate = gate;
    this.offsets = new OffsetCommitter(vertx, sink.apply(poll), new OffsetSink.Member() {
      @Override
      public <T> Future<T> call(java.util.function.Function<ConsumerGroupMetadata, T> work) {
        return poll.call(c -> {
          if (poll.lossPending()) {
            // Partitions were lost and the event loop has not yet aborted the open transaction.
            throw new org.apache.kafka.clients.consumer.CommitFailedException(
                "partitions lost; the loss is not handled yet");
          }
          return work.apply(c.groupMetadata());
        });
      }
    });
    this.commitIntervalMs = commitIntervalMs;
    this.processor = processor;
    this.pause = new PauseControl(poll);
    this.fatal = fatal;
  }

  /** Records read from Kafka that wait for an in-flight slot. */
  @Override
  public int waiting() {
    return waiting.size();
  }

  /** The consumer thread, for its metrics and group metadata. */
  public PollLoop pollLoop() {
    return poll;
  }

  @Override
  public Future<Void> start() {
    Future<Void> started = poll.start();
    commits = new CommitTrigger(vertx, offsets, new CommitTrigger.Slots() {
      @Override
      public void release() {
        gate.release();
      }

      @Override
      public int taken() {
        return gate.inFlight();
      }
    }, gate.limit(), commitIntervalMs, () -> {
      startWaiting();
      maybeResume();
    });
    return started;
  }

  @Override
  public void records(ConsumerRecords<byte[], byte[]> records, Map<TopicPartition, Long> positions, long epoch) {
    if (epoch != this.epoch || stopping) {
      return; // read before a rewind, or while stopping: read again later
    }
    for (ConsumerRecord<byte[], byte[]> record : records) {
      PartitionOffsets state = offsets.get(new TopicPartition(record.topic(), record.partition()));
      if (state == null) {
        continue; // revoked meanwhile: its new owner reads it
      }
      state.received(record.offset());
      Event event = new Event(record, state);
      if (gate.hasRoom() && waiting.isEmpty()) {
        begin(event);
      } else {
        waiting.add(event);
      }
    }
    positions.forEach((tp, position) -> {
      PartitionOffsets state = offsets.get(tp);
      if (state != null) {
        state.advanceTo(position);
      }
    });
    if (!gate.hasRoom()) {
      pause.pause(gate.inFlight(), waiting.size());
    }
  }

  private void begin(Event event) {
    gate.acquire();
    processing++;
    PartitionOffsets state = event.partitionState();
    state.started();
    Future<Void> outcome;
    try {
      outcome = processor.apply(event);
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    outcome.onComplete(ar -> {
      processing--;
      state.finished(event.offset(), ar.succeeded());
      if (ar.failed()) {
        if (!state.isRevoked()) {
          LOG.warn("event=outcome_abandoned offset={} error={}", event.offset(), ar.cause().toString());
        }
        gate.release();
      } else if (state.isRevoked()) {
        gate.release(); // no longer ours to commit
      } else {
        commits.completed(state, event.offset()); // the slot is freed once the offset is committed
      }
      startWaiting();
      maybeResume();
      if (drained != null) {
        drained.check();
      }
    });
  }

  private void startWaiting() {
    while (!stopping && gate.hasRoom() && !waiting.isEmpty()) {
      Event e = waiting.poll();
      if (!e.partitionState().isRevoked()) {
        begin(e);
      }
    }
  }

  private void maybeResume() {
    if (!stopping && waiting.isEmpty() && gate.belowLowMark()) {
      pause.resume(gate.inFlight());
    }
  }

  @Override
  public void assigned(Collection<TopicPartition> added) {
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
  }

  @Override
  public Future<Map<TopicPartition, OffsetAndMetadata>> revoking(Collection<TopicPartition> revoked,
      ConsumerGroupMetadata group) {
    LOG.info("event=partitions_revoked partitions={}", revoked);
    revocations++;
    waiting.removeIf(e -> revoked.contains(new TopicPartition(e.topic(), e.partition())));
    return drain(revoked, System.nanoTime() + REVOKE_DRAIN_MS * 1_000_000)
        .compose(v -> {
          // What has not finished by now is left to the new owner: none of its outcomes may be
          // published any more (under a transaction it would land beside the new owner's).
          revoked.forEach(tp -> {
            PartitionOffsets state = offsets.get(tp);
            if (state != null) {
              state.seal();
            }
          });
          return offsets.revoking(revoked, group);
        })
        .andThen(ar -> commits.releaseCommitted());
  }

  /** Completes once the started events of {@code parts} have finished, or at the deadline. */
  private Future<Void> drain(Collection<TopicPartition> parts, long deadlineNanos) {
    boolean busy = parts.stream().map(offsets::get)
        .anyMatch(s -> s != null && s.inProgress() > 0);
    if (!busy || System.nanoTime() >= deadlineNanos) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    vertx.setTimer(2, id -> drain(parts, deadlineNanos).onComplete(p));
    return p.future();
  }

  @Override
  public void failed(Throwable cause) {
    fatal.accept(cause);
  }

  @Override
  public void lost(Collection<TopicPartition> lost) {
    LOG.warn("event=partitions_lost partitions={} action=\"no commit; their new owner repeats what was not committed\"",
        lost);
    waiting.removeIf(e -> lost.contains(new TopicPartition(e.topic(), e.partition())));
    offsets.lost(lost);
    commits.releaseCommitted();
  }

  /**
   * Throws away every event read so far and, once {@code ready} completes, rewinds the
   * partitions to their committed positions: used after a transaction was aborted.
   */
  public void reset(Future<Void> ready) {
    epoch++;
    long tag = epoch;
    waiting.clear();
    offsets.reset();
    commits.releaseCommitted();
    LOG.warn("event=ingest_reset epoch={} action=rewinding_to_committed", tag);
    ready.onComplete(ar -> {
      if (ar.succeeded() && !stopping) {
        poll.seek(tag);
      }
    });
  }

  /**
   * Stops taking records, waits up to {@code timeoutMs} for in-flight events to be published,
   * commits what is done and closes the consumer. Waiting records are left to the next owner.
   */
  @Override
  public Future<Void> stop(long timeoutMs) {
    stopping = true;
    pause.pause(gate.inFlight(), waiting.size());
    waiting.clear();
    drained = new ShutdownDrain(vertx, timeoutMs, () -> processing);
    return drained.future()
        .compose(v -> commits.close())
        .compose(v -> Future.fromCompletionStage(poll.close(), context));
  }

  @Override
  public int processing() {
    return processing;
  }

  /** Events started and not yet committed (processing, or done and awaiting their commit). */
  @Override
  public int inFlight() {
    return gate.inFlight();
  }

  /** True once the consumer has joined its group (even with no partitions to own). */
  @Override
  public boolean joined() {
    return joined;
  }

  @Override
  public int pausedPartitions() {
    return pause.paused() ? poll.assignment().size() : 0;
  }

  /** The consumer's lag over its partitions, asked of the broker every 2 s. */
  @Override
  public long lag() {
    return poll.lag();
  }

  /** Times the partitions were paused for backpressure. */
  public long pauses() {
    return pause.pauses();
  }

  /** Longest time the partitions stayed paused, in ms. */
  public long longestPauseMs() {
    return pause.longestPauseMs();
  }

  /** Assignments of a non-empty set of partitions (the first join counts as one). */
  public int assignments() {
    return assignments;
  }

  /** Revocations of a non-empty set of partitions. */
  public int revocations() {
    return revocations;
  }
}
