package io.loraflow.ingest;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka consumer of the input topic, confined to one thread of its own (as Kafka requires),
 * in the manner of Vert.x's {@code KafkaReadStreamImpl} but handing out whole polls.
 *
 * <h2>Records</h2>
 * Each poll's records go to the {@link Listener} on the event loop as one batch. At most one
 * batch is outstanding: the thread does not poll again until the event loop has taken the last
 * one, so records never pile up between the threads.
 *
 * <h2>Backpressure</h2>
 * {@link #pause(boolean)} states a wish; the poll thread pauses or resumes every assigned
 * partition to match before its next poll and pauses newly assigned ones at once, so no partition
 * is ever left paused or read against the wish. Polling goes on while paused: the member stays in
 * its group however long the pause lasts.
 *
 * <h2>Rebalances</h2>
 * Kafka calls the rebalance callbacks on this thread, inside {@code poll}. A revoke is handed to
 * the event loop ({@link Listener#revoking}), which finishes or drops the revoked partitions' work
 * and answers with the positions to commit; the callback waits for that answer (bounded) and
 * commits them with {@code commitSync} before Kafka hands the partitions on. Lost partitions are
 * not committed.
 *
 * <h2>Concurrency</h2>
 * Public methods may be called from any thread; they queue a task for the poll thread. The
 * listener is always called on {@link #context}.
 */
public final class PollLoop {
  /** How often the lag is asked of the broker, and how long the poll thread waits for it. */
  private static final long LAG_CHECK_NANOS = 2_000_000_000L;
  private static final Duration LAG_CHECK_TIMEOUT = Duration.ofMillis(500);
  private static final Logger LOG = LoggerFactory.getLogger(PollLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(20);

  /** What the poll thread hands to the event loop. */
  public interface Listener {
    /**
     * One poll's records, tagged with the {@link #seek} epoch they were read under, and the
     * consumer's positions after it (past transaction markers and aborted records too, which are
     * never handed out); called when there are records or a position moved.
     */
    void records(ConsumerRecords<byte[], byte[]> records, Map<TopicPartition, Long> positions, long epoch);

    void assigned(Collection<TopicPartition> partitions);

    /**
     * The partitions are being taken away: finish or drop their work and complete with the
     * positions to commit now (empty when the commit was made another way, as in a transaction).
     * {@code group} is the member's metadata at this moment, for a transactional commit.
     */
    Future<Map<TopicPartition, OffsetAndMetadata>> revoking(Collection<TopicPartition> partitions,
        ConsumerGroupMetadata group);

    /** The partitions were lost (the member fell out of the group): nothing may be committed. */
    void lost(Collection<TopicPartition> partitions);

    /** The poll thread ended on an unexpected error after start: nothing is consumed any more. */
    void failed(Throwable cause);
  }

  private final Context context;
  private final Map<String, Object> props;
  /** Made on the poll thread (a consumer's construction can take seconds: not on the event loop). */
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final String topic;
  private final Listener listener;
  private final long revokeWaitMs;
  private final boolean resetToEarliest;
  private final Thread thread;

  // Any thread.
  private final ConcurrentLinkedQueue<Consumer<KafkaConsumer<byte[], byte[]>>> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean wantPaused;
  private volatile boolean running = true;
  private volatile boolean batchOutstanding;
  /** True while the thread is in {@code poll} outside Kafka's callbacks: a wakeup is safe then. */
  private volatile boolean polling;
  /** Changes only in the rebalance callbacks, which refresh it. */
  private volatile Set<TopicPartition> assignment = Set.of();
  /**
   * True from a loss of partitions until the event loop has handled it (set on this thread, in
   * the callback; cleared on the event loop): a commit queued before it must not run meanwhile.
   */
  private volatile boolean lossPending;
  /** Records behind the log end over the assigned partitions, as of the last check (poll thread writes). */
  private volatile long lag;
  // Poll thread only.
  private long lagCheckedNanos;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  // Poll thread only.
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private boolean paused;
  private long epoch;
  private boolean fetchFailing;

  /**
   * {@code revokeWaitMs} bounds how long a revoke waits for the event loop (keep it well under
   * {@code max.poll.interval.ms}).
   */
  public PollLoop(Context context, Map<String, Object> props, String topic, Listener listener, long revokeWaitMs) {
    this.context = context;
    this.props = Map.copyOf(props);
    this.topic = topic;
    this.listener = listener;
    this.revokeWaitMs = revokeWaitMs;
    this.resetToEarliest = !"latest".equals(String.valueOf(props.getOrDefault("auto.offset.reset", "latest")))
        && !"none".equals(String.valueOf(props.get("auto.offset.reset")));
    this.thread = new Thread(this::run, "loraflow-poll-" + topic);
    this.thread.setDaemon(true);
  }

  /** The raw consumer, for its metrics only (it is not safe to call from other threads); after {@link #start}. */
  public KafkaConsumer<byte[], byte[]> metricsSource() {
    return consumer;
  }

  /** Starts the thread; completes (on the event loop) once the consumer is made and subscribed. */
  public Future<Void> start() {
    thread.start();
    return Future.fromCompletionStage(started, context);
  }

  /** The partitions assigned as of the last rebalance. */
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /** Pause (true) or resume (false) every assigned partition, from the next poll on. */
  public void pause(boolean paused) {
    wantPaused = paused;
    wakeUp();
  }

  /**
   * Runs {@code work} on the poll thread between polls, where no rebalance can happen meanwhile
   * (a transaction commit needs the member's current generation); completes on the event loop.
   */
  public <T> Future<T> call(java.util.function.Function<KafkaConsumer<byte[], byte[]>, T> work) {
    Promise<T> promise = Promise.promise();
    submit(c -> {
      try {
        T result = work.apply(c);
        context.runOnContext(v -> promise.tryComplete(result));
      } catch (RuntimeException e) {
        context.runOnContext(v -> promise.tryFail(e));
      }
    });
    return promise.future();
  }

  /** Commits {@code offsets} to the group; completes on the event loop. */
  public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    Promise<Void> promise = Promise.promise();
    if (offsets.isEmpty()) {
      promise.complete();
      return promise.future();
    }
    submit(c -> c.commitAsync(offsets, (ok, err) -> context.runOnContext(v -> {
      if (err == null) {
        promise.tryComplete();
      } else {
        promise.tryFail(err);
      }
    })));
    return promise.future();
  }

  /**
   * Rewinds every assigned partition to its committed position (or the reset policy's end when
   * none), after work read since then was thrown away. Batches handed out later carry
   * {@code epoch}; the listener drops older ones.
   */
  public void seek(long epoch) {
    submit(c -> {
      this.epoch = epoch;
      positions.clear();
      Set<TopicPartition> parts = c.assignment();
      if (parts.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(parts, Duration.ofSeconds(30));
      List<TopicPartition> fresh = new java.util.ArrayList<>();
      for (TopicPartition tp : parts) {
        OffsetAndMetadata om = committed.get(tp);
        if (om != null) {
          c.seek(tp, om);
        } else {
          fresh.add(tp);
        }
      }
      if (!fresh.isEmpty()) {
        if (resetToEarliest) {
          c.seekToBeginning(fresh);
        } else {
          c.seekToEnd(fresh);
        }
      }
      LOG.info("event=partitions_rewound partitions={} epoch={}", parts, epoch);
    });
  }

  /** Leaves the group and closes the consumer (the revoke callback still runs); any thread. */
  public CompletableFuture<Void> close() {
    running = false; // the loop notices within one poll timeout; no wakeup(): it would break a commit
    return closed;
  }

  private void submit(Consumer<KafkaConsumer<byte[], byte[]>> task) {
    tasks.add(task);
    wakeUp();
  }

  /**
   * Cuts the poll short so a task or a pause change is served now, not after the poll timeout (a
   * commit that waits frees its slots late). A wakeup that lands elsewhere makes the next blocking
   * call throw {@link WakeupException}; every such call here retries it.
   */
  private void wakeUp() {
    if (polling) {
      consumer.wakeup();
    }
  }

  private void run() {
    try {
      consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumer.subscribe(List.of(topic), new Rebalance());
      started.complete(null);
      while (running) {
        try {
          pollOnce();
        } catch (WakeupException e) {
          // A wakeup meant to cut a poll short landed in another blocking call (close() uses
          // none): the tasks it was for are served on the next turn.
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (running) {
        failed(e);
      }
    } catch (RuntimeException | Error e) {
      failed(e);
    } finally {
      try {
        runTasks();
        if (consumer != null) {
          runRetryingWakeup(() -> consumer.close(Duration.ofSeconds(10)));
        }
      } catch (RuntimeException e) {
        LOG.warn("event=consumer_close_failed error={}", e.toString());
      }
      closed.complete(null);
    }
  }

  /**
   * Never a silent end: a member that stops polling keeps its process alive while its partitions
   * stall, so the service is told and stops (its supervisor starts it again).
   */
  private void failed(Throwable e) {
    LOG.error("event=poll_loop_failed error={}", e.toString(), e);
    if (!started.completeExceptionally(e)) {
      context.runOnContext(v -> listener.failed(e));
    }
  }

  /** One turn: tasks, the pause wish, one poll, the records handed over. */
  private void pollOnce() throws InterruptedException {
    runTasks();
    applyPauseWish();
    if (batchOutstanding) {
      // The event loop has not taken the last batch: wait, but keep serving tasks.
      Thread.sleep(1);
      return;
    }
    ConsumerRecords<byte[], byte[]> records;
    try {
      polling = true;
      records = consumer.poll(POLL_TIMEOUT);
      noteFetchRecovered();
    } catch (org.apache.kafka.common.errors.RetriableException e) {
      noteFetchFailing(e);
      return;
    } finally {
      polling = false;
    }
    if (System.nanoTime() - lagCheckedNanos > LAG_CHECK_NANOS) {
      lagCheckedNanos = System.nanoTime();
      lag = logEndLag(lag);
    }
    Map<TopicPartition, Long> moved = movedPositions();
    if (!records.isEmpty() || !moved.isEmpty()) {
      batchOutstanding = true;
      long tag = epoch;
      context.runOnContext(v -> {
        batchOutstanding = false;
        listener.records(records, moved, tag);
      });
    }
  }

  /**
   * Records between the positions and the log ends (the last stable offsets under read_committed)
   * of the assigned partitions, asked of the broker: the fetch's own lag figure goes stale while
   * the partitions are paused, which is when a backlog builds. Keeps {@code last} when the broker
   * does not answer in time.
   */
  private long logEndLag(long last) {
    Set<TopicPartition> parts = consumer.assignment();
    if (parts.isEmpty()) {
      return 0;
    }
    try {
      long sum = 0;
      for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(parts, LAG_CHECK_TIMEOUT).entrySet()) {
        sum += Math.max(0, end.getValue() - consumer.position(end.getKey(), Duration.ZERO));
      }
      return sum;
    } catch (RuntimeException e) {
      // (a wakeup meant for the poll included: the tasks it was for are served next)
      return last; // no answer in time, a position not known yet, the broker away: a figure, not a fault
    }
  }

  /**
   * True from a loss of partitions until the event loop has handled it; checked by a
   * transactional commit on this thread before it commits.
   */
  public boolean lossPending() {
    return lossPending;
  }

  /** Records behind the log end of the assigned partitions, as of the last check. Any thread. */
  public long lag() {
    return lag;
  }

  /** Positions that moved since they were last handed out (known positions only, no blocking). */
  private Map<TopicPartition, Long> movedPositions() {
    Map<TopicPartition, Long> moved = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      long position;
      try {
        position = consumer.position(tp, Duration.ZERO);
      } catch (RuntimeException e) {
        continue; // not known yet (being reset or fetched): next time
      }
      Long last = positions.put(tp, position);
      if (last == null || last != position) {
        moved.put(tp, position);
      }
    }
    positions.keySet().retainAll(consumer.assignment());
    return moved;
  }

  private void runTasks() {
    for (Consumer<KafkaConsumer<byte[], byte[]>> task = tasks.poll(); task != null; task = tasks.poll()) {
      Consumer<KafkaConsumer<byte[], byte[]>> t = task;
      try {
        runRetryingWakeup(() -> t.accept(consumer));
      } catch (RuntimeException e) {
        LOG.warn("event=consumer_task_failed error={}", e.toString());
      }
    }
  }

  /** Runs {@code call}, once more if a stray wakeup interrupted it. */
  private static void runRetryingWakeup(Runnable call) {
    try {
      call.run();
    } catch (WakeupException e) {
      call.run();
    }
  }

  private void applyPauseWish() {
    boolean want = wantPaused;
    if (want == paused) {
      return;
    }
    paused = want;
    if (want) {
      consumer.pause(consumer.assignment());
    } else {
      consumer.resume(consumer.paused());
    }
  }

  private void noteFetchFailing(RuntimeException e) {
    if (!fetchFailing) {
      fetchFailing = true;
      LOG.warn("event=consume_failing topic={} error={}", topic, e.toString());
    }
  }

  private void noteFetchRecovered() {
    if (fetchFailing) {
      fetchFailing = false;
      LOG.warn("event=consume_recovered topic={}", topic);
    }
  }

  /** Kafka's callbacks, on the poll thread inside {@code poll}. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      polling = false;
      if (paused) {
        consumer.pause(partitions); // Kafka forgets pauses of newly assigned partitions
      }
      assignment = Set.copyOf(consumer.assignment());
      Set<TopicPartition> copy = new HashSet<>(partitions);
      context.runOnContext(v -> listener.assigned(copy));
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      polling = false;
      assignmentWithout(partitions);
      if (partitions.isEmpty()) {
        return;
      }
      Set<TopicPartition> copy = new HashSet<>(partitions);
      ConsumerGroupMetadata group = consumer.groupMetadata();
      CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> answer = new CompletableFuture<>();
      context.runOnContext(v -> listener.revoking(copy, group).onComplete(ar -> {
        if (ar.succeeded()) {
          answer.complete(ar.result());
        } else {
          answer.completeExceptionally(ar.cause());
        }
      }));
      Map<TopicPartition, OffsetAndMetadata> offsets;
      long deadline = System.nanoTime() + revokeWaitMs * 1_000_000;
      try {
        // Tasks queued for this thread (a commit the answer waits for) run here meanwhile: the
        // callback holds the thread, and the rebalance, until it returns.
        while (!answer.isDone() && System.nanoTime() < deadline) {
          runTasks();
          try {
            answer.get(2, TimeUnit.MILLISECONDS);
          } catch (java.util.concurrent.TimeoutException e) {
            // keep serving tasks
          }
        }
        offsets = answer.get(0, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("event=revoke_commit_skipped partitions={} error={}", copy, e.toString());
        return;
      }
      if (!offsets.isEmpty()) {
        try {
          runRetryingWakeup(() -> consumer.commitSync(new HashMap<>(offsets), Duration.ofMillis(revokeWaitMs)));
          LOG.info("event=revoke_committed offsets={}", offsets);
        } catch (RuntimeException e) {
          LOG.warn("event=revoke_commit_failed partitions={} error={}", copy, e.toString());
        }
      }
    }

    /** Kafka drops {@code gone} from its assignment only after the callback returns. */
    private void assignmentWithout(Collection<TopicPartition> gone) {
      Set<TopicPartition> now = new HashSet<>(consumer.assignment());
      now.removeAll(gone);
      assignment = Set.copyOf(now);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      polling = false;
      assignmentWithout(partitions);
      Set<TopicPartition> copy = new HashSet<>(partitions);
      // Set before this callback returns, cleared once the event loop has aborted the open
      // transaction: a commit queued meanwhile, which would run here under the rejoined member's
      // new generation, is refused (see lossPending()).
      lossPending = true;
      context.runOnContext(v -> {
        try {
          listener.lost(copy);
        } finally {
          lossPending = false;
        }
      });
    }
  }
}
