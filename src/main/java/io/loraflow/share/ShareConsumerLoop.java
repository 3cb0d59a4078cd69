package io.loraflow.share;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link KafkaShareConsumer} of the input topic, confined to one thread of its own (it is not
 * thread-safe, and the Vert.x Kafka client has none), handing whole polls to the event loop and
 * taking acknowledgements back through a queue — the share-group sibling of
 * {@link io.loraflow.ingest.PollLoop}.
 *
 * <h2>Records</h2>
 * Each poll's records go to the {@link Listener} on the event loop as one batch. In explicit
 * acknowledgement mode Kafka refuses the next poll until every record of the last one is
 * acknowledged, so the thread polls again only then. What one poll acquires is capped by
 * {@code max.poll.records} under {@code share.acquire.mode=record_limit} (the caller sets it to the
 * in-flight limit): the member never holds more than its budget, and the rest of the partition
 * stays available to the other members. That is the backpressure; there is nothing to pause.
 *
 * <h2>Acknowledgements</h2>
 * {@link #acknowledge} queues from any thread; this thread applies the queue while it waits and
 * sends what it applied ({@code commitAsync}); the next poll carries the rest. The broker's answers
 * reach the commit callback on this thread and are counted: confirmed accepts and releases, and
 * failed acknowledgements (a lock that had already expired: the record went to another member).
 *
 * <h2>Lock renewal</h2>
 * Work that outlasts a third of the acquisition lock ({@code acquisitionLockTimeoutMs()}) has its
 * unsettled records renewed ({@code RENEW}): Kafka then returns those records to the next poll,
 * and they are acknowledged as usual when done. Acknowledgements that arrive for a record while its
 * renewal is under way wait until it is back.
 *
 * <h2>Shutdown</h2>
 * {@link #stopAcquiring()} ends polling; {@link #close()} releases whatever of the last poll was
 * not acknowledged by then, so other members take it at once instead of after the lock times out,
 * then closes the consumer, which sends the acknowledgements and leaves the group.
 *
 * <h2>Concurrency</h2>
 * Public methods may be called from any thread; the listener is called on {@link #context}.
 */
public final class ShareConsumerLoop {
  private static final Logger LOG = LoggerFactory.getLogger(ShareConsumerLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  /** How long the thread waits for the next acknowledgement before it looks at its flags again. */
  private static final long ACK_WAIT_MS = 20;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RENEW_TIMEOUT = Duration.ofSeconds(5);

  /** What the poll thread hands to the event loop. */
  public interface Listener {
    /** One poll's records, each acquired under its own lock; every one must be acknowledged. */
    void acquired(List<ConsumerRecord<byte[], byte[]>> records);

    /** The poll thread ended on an unexpected error after start: nothing is acquired any more. */
    void failed(Throwable cause);
  }

  /** One acknowledgement on its way to the poll thread. */
  private record Ack(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
  }

  /** A record's coordinates, as the broker's answer names them. */
  private record Coordinates(String topic, int partition, long offset) {
    static Coordinates of(ConsumerRecord<?, ?> r) {
      return new Coordinates(r.topic(), r.partition(), r.offset());
    }
  }

  private final Context context;
  private final Map<String, Object> props;
  private final String topic;
  private final Listener listener;
  private final Thread thread;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  // Any thread.
  private final LinkedBlockingQueue<Ack> acks = new LinkedBlockingQueue<>();
  private volatile boolean running = true;
  private volatile boolean acquiring = true;
  private volatile boolean joined;
  /** Written by the poll thread, read by metrics. */
  private final AtomicLong acquired = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong released = new AtomicLong();
  private final AtomicLong failedAcks = new AtomicLong();
  private final AtomicLong renewed = new AtomicLong();

  // Poll thread only.
  private KafkaShareConsumer<byte[], byte[]> consumer;
  /** Records of the last poll not acknowledged yet, as Kafka last handed them out. */
  private final Map<Coordinates, ConsumerRecord<byte[], byte[]>> unacknowledged = new HashMap<>();
  /** Records whose lock renewal is under way: Kafka returns them to a later poll. */
  private final Set<Coordinates> renewing = new HashSet<>();
  /** Acknowledgements of records under renewal, applied once they are back. */
  private final Map<Coordinates, AcknowledgeType> deferred = new HashMap<>();
  /** Acknowledgements applied and not yet answered by the broker. */
  private final Map<Coordinates, AcknowledgeType> unanswered = new HashMap<>();
  /** When the unsettled records were acquired or last renewed, and their lock duration (0: unknown). */
  private long lockedSinceNanos;
  private long lockMs;
  private boolean fetchFailing;

  public ShareConsumerLoop(Context context, Map<String, Object> props, String topic, Listener listener) {
    this.context = context;
    this.props = Map.copyOf(props);
    this.topic = topic;
    this.listener = listener;
    this.thread = new Thread(this::run, "loraflow-share-" + topic);
    this.thread.setDaemon(true);
  }

  /** Starts the thread; completes (on the event loop) once the consumer is made and subscribed. */
  public Future<Void> start() {
    thread.start();
    return Future.fromCompletionStage(started, context);
  }

  /**
   * The consumer's own metrics, as a {@code Consumer} for Micrometer's binder; call once
   * {@link #start} has completed. {@code metrics()} is safe off the poll thread (no lock, a copy).
   */
  public org.apache.kafka.clients.consumer.Consumer<?, ?> metricsSource() {
    KafkaShareConsumer<byte[], byte[]> c = consumer;
    return MetricsOnlyConsumer.of(c::metrics);
  }

  /** Settles one record of the last poll: {@code ACCEPT} after its outcome, else {@code RELEASE}. Any thread. */
  public void acknowledge(ConsumerRecord<byte[], byte[]> record, AcknowledgeType type) {
    acks.add(new Ack(record, type));
  }

  /** No poll from now on (records already handed over still need their acknowledgement). Any thread. */
  public void stopAcquiring() {
    acquiring = false;
  }

  /** Releases what is not acknowledged yet and closes the consumer; any thread. */
  public CompletableFuture<Void> close() {
    acquiring = false;
    running = false;
    return closed;
  }

  /** True once a poll has returned: the member is in its group. */
  public boolean joined() {
    return joined;
  }

  /** Records acquired so far, redeliveries included. */
  public long acquiredCount() {
    return acquired.get();
  }

  /** Accepts the broker confirmed. */
  public long acceptedCount() {
    return accepted.get();
  }

  /** Releases the broker confirmed. */
  public long releasedCount() {
    return released.get();
  }

  /** Records whose acquisition lock was renewed (asked). */
  public long renewedCount() {
    return renewed.get();
  }

  /** Acknowledgements the broker refused (the lock had expired; the record went to another member). */
  public long failedAckCount() {
    return failedAcks.get();
  }

  private void run() {
    try {
      consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumer.setAcknowledgementCommitCallback(this::answered);
      consumer.subscribe(List.of(topic));
      started.complete(null);
      while (running) {
        if (unacknowledged.isEmpty() && (acquiring || !renewing.isEmpty())) {
          // A poll while renewals are under way returns the renewed records, and nothing new.
          applyAcks(0);
          poll();
        } else {
          // Kafka refuses the next poll until the last one is settled: send what is, wait for the rest.
          if (applyAcks(ACK_WAIT_MS)) {
            consumer.commitAsync();
          }
          renewIfDue();
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
      shutDown();
    }
  }

  /**
   * Never a silent end: an instance that stops acquiring lives on idle, so the service is told and
   * stops (its supervisor starts it again).
   */
  private void failed(Throwable e) {
    LOG.error("event=share_poll_loop_failed error={}", e.toString(), e);
    if (!started.completeExceptionally(e)) {
      context.runOnContext(v -> listener.failed(e));
    }
  }

  private void poll() {
    ConsumerRecords<byte[], byte[]> records;
    try {
      records = consumer.poll(POLL_TIMEOUT);
      if (!joined) {
        joined = true;
        LOG.info("event=share_group_joined topic={} group={}", topic, props.get("group.id"));
      }
      if (fetchFailing) {
        fetchFailing = false;
        LOG.warn("event=consume_recovered topic={}", topic);
      }
    } catch (RetriableException e) {
      if (!fetchFailing) {
        fetchFailing = true;
        LOG.warn("event=consume_failing topic={} error={}", topic, e.toString());
      }
      return;
    }
    if (records.isEmpty()) {
      return;
    }
    lockedSinceNanos = System.nanoTime();
    lockMs = consumer.acquisitionLockTimeoutMs().orElse(0);
    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(records.count());
    boolean settled = false;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      Coordinates c = Coordinates.of(r);
      unacknowledged.put(c, r);
      if (renewing.remove(c)) {
        AcknowledgeType ack = deferred.remove(c);
        settled |= ack != null && apply(c, ack);
      } else {
        batch.add(r);
      }
    }
    if (settled) {
      consumer.commitAsync();
    }
    if (!batch.isEmpty()) {
      acquired.addAndGet(batch.size());
      context.runOnContext(v -> listener.acquired(batch));
    }
  }

  /**
   * Renews the locks of the unsettled records once a third of their duration has passed since the
   * poll returned them. The broker's clock started earlier, when it acquired them for a fetch the
   * consumer may have held in its buffer a while: at half, a loaded machine renewed too late, the
   * locks ran out and the records were classified twice.
   */
  private void renewIfDue() {
    if (unacknowledged.isEmpty() || lockMs <= 0 || System.nanoTime() - lockedSinceNanos < lockMs * 333_333L) {
      return;
    }
    unacknowledged.forEach((c, r) -> {
      consumer.acknowledge(r, AcknowledgeType.RENEW);
      unanswered.put(c, AcknowledgeType.RENEW);
      renewing.add(c);
    });
    renewed.addAndGet(unacknowledged.size());
    LOG.info("event=share_locks_renewed records={} lockMs={}", unacknowledged.size(), lockMs);
    unacknowledged.clear();
    // Wait for the broker's answer here: a poll while a renewal is still open also fetches new
    // records, which would then sit acquired, unrenewed, until this slow poll is settled.
    try {
      consumer.commitSync(RENEW_TIMEOUT);
    } catch (org.apache.kafka.common.KafkaException e) {
      // The callback counts refused renewals; a commit that timed out leaves them to the next poll.
      LOG.warn("event=share_renewal_unconfirmed records={} error={}", renewing.size(), e.toString());
    }
  }

  /** Applies queued acknowledgements, waiting up to {@code waitMs} for the first; true if any. */
  private boolean applyAcks(long waitMs) throws InterruptedException {
    Ack ack = waitMs > 0 ? acks.poll(waitMs, TimeUnit.MILLISECONDS) : acks.poll();
    boolean any = false;
    while (ack != null) {
      any |= apply(Coordinates.of(ack.record()), ack.type());
      ack = acks.poll();
    }
    return any;
  }

  private boolean apply(Coordinates c, AcknowledgeType type) {
    assert Thread.currentThread() == thread : "the share consumer is used off its thread";
    if (renewing.contains(c)) {
      deferred.put(c, type);
      return false;
    }
    ConsumerRecord<byte[], byte[]> record = unacknowledged.remove(c);
    if (record == null) {
      return false; // settled already (released at shutdown, or its renewal failed)
    }
    consumer.acknowledge(record, type);
    unanswered.put(c, type);
    return true;
  }

  /** The broker's answer to acknowledgements of one partition (Kafka calls it on this thread). */
  private void answered(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
    offsets.forEach((tip, set) -> {
      for (long offset : set) {
        Coordinates c = new Coordinates(tip.topic(), tip.partition(), offset);
        AcknowledgeType type = unanswered.remove(c);
        if (error != null) {
          failedAcks.incrementAndGet();
          if (renewing.remove(c)) {
            deferred.remove(c); // the lock had run out: the record is the group's again
          }
        } else if (type == AcknowledgeType.ACCEPT) {
          accepted.incrementAndGet();
        } else if (type == AcknowledgeType.RELEASE) {
          released.incrementAndGet();
        }
      }
      if (error != null) {
        // Each refused record had already gone back to the group: its outcome may come twice.
        LOG.warn("event=share_acknowledgement_failed partition={} records={} error={}", tip, set.size(),
            error.toString());
      }
    });
  }

  private void shutDown() {
    try {
      if (consumer != null) {
        applyAcks(0);
        // Records out on a renewal come back with a poll, and only then do their deferred
        // acknowledgements apply: leaving before would free them, finished or not, and another
        // member would classify them again.
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        while (!renewing.isEmpty() && System.nanoTime() < deadline) {
          poll();
          applyAcks(0);
        }
        int unsettled = unacknowledged.size();
        for (Coordinates c : List.copyOf(unacknowledged.keySet())) {
          apply(c, AcknowledgeType.RELEASE);
        }
        if (unsettled > 0) {
          LOG.info("event=share_records_released records={} reason=shutdown", unsettled);
        }
        if (!renewing.isEmpty()) {
          // Not back from their renewal: the broker frees them when this member leaves.
          LOG.info("event=share_records_left records={} reason=renewal_under_way", renewing.size());
        }
        consumer.close(CLOSE_TIMEOUT); // sends the acknowledgements, leaves the group
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("event=share_consumer_close_failed error={}", e.toString());
    } finally {
      closed.complete(null);
    }
  }
}
