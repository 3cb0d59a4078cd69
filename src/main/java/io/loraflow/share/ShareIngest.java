package io.loraflow.share;

import io.loraflow.ingest.Event;
import io.loraflow.ingest.InFlightGate;
import io.loraflow.ingest.Ingest;
import io.loraflow.ingest.ShutdownDrain;
import io.loraflow.offsets.PartitionOffsets;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits the input topic's records through a share group (Kafka queues, KIP-932) as
 * {@link Event}s for the same pipeline as a consumer group's, and settles each record on its own:
 * {@code ACCEPT} once its outcome (result or dead letter) is acknowledged by the broker,
 * {@code RELEASE} when the outcome was abandoned or the record was never started (shutdown), so
 * another member takes it at once. A record is never rejected: what cannot be processed becomes a
 * dead letter and is accepted.
 *
 * <h2>Backpressure</h2>
 * The {@link ShareConsumerLoop} acquires at most the in-flight limit per poll and polls again only
 * once every record of the last poll is settled, so this member never holds more records than it
 * has slots for; the rest stay available to the other members.
 *
 * <h2>Offsets</h2>
 * None: the broker tracks each record's state. An event's slot is freed when its acknowledgement
 * is handed to the consumer; after a crash the broker redelivers what the member held (at most one
 * poll), with its delivery count raised.
 *
 * <p>Concurrency: event loop only.
 */
public final class ShareIngest implements Ingest, ShareConsumerLoop.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ShareIngest.class);

  /** A record and the event made of it when it arrived (latency counts the wait for a slot). */
  private record Acquired(ConsumerRecord<byte[], byte[]> record, Event event) {
  }

  private final Vertx vertx;
  private final java.util.function.Consumer<Throwable> fatal;
  private final Context context;
  private final ShareConsumerLoop loop;
  private final InFlightGate gate;
  private final Function<Event, Future<Void>> processor;
  /**
   * The offset state every event carries; it keeps no positions. It is sealed once at shutdown,
   * when the unfinished events are released: none of their outcomes is published after that.
   */
  private final PartitionOffsets open = new PartitionOffsets();
  private final DistributionSummary deliveryCounts;
  private final ShareBacklog backlog;

  // Event loop only.
  private final ArrayDeque<Acquired> waiting = new ArrayDeque<>();
  private int processing;
  private boolean stopping;
  private ShutdownDrain drained;

  /**
   * {@code consumerProps} configure the share consumer (explicit acknowledgement, record_limit);
   * {@code processor} takes one event to its outcome and completes when that outcome is
   * acknowledged by the broker, failing only when the outcome was abandoned; {@code backlog} is
   * the group's, closed with this.
   */
  public ShareIngest(Vertx vertx, Map<String, Object> consumerProps, String topic, InFlightGate gate,
      Function<Event, Future<Void>> processor, ShareBacklog backlog, MeterRegistry registry,
      java.util.function.Consumer<Throwable> fatal) {
    this.fatal = fatal;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.loop = new ShareConsumerLoop(context, consumerProps, topic, this);
    this.gate = gate;
    this.processor = processor;
    this.backlog = backlog;
    this.deliveryCounts = DistributionSummary.builder("loraflow.share.delivery.count")
        .description("Delivery count of each record acquired from the share group (1 = first delivery)")
        .register(registry);
    counter(registry, "loraflow.share.records.acquired", "Records acquired from the share group",
        ShareConsumerLoop::acquiredCount);
    counter(registry, "loraflow.share.records.accepted", "Records accepted (their outcome published), as "
        + "confirmed by the broker", ShareConsumerLoop::acceptedCount);
    counter(registry, "loraflow.share.records.released", "Records released unfinished (shutdown, abandoned "
        + "outcome) for another member, as confirmed by the broker", ShareConsumerLoop::releasedCount);
    counter(registry, "loraflow.share.records.renewed", "Acquisition locks renewed for work that outlasts a third of "
        + "the lock", ShareConsumerLoop::renewedCount);
    counter(registry, "loraflow.share.acknowledgements.failed", "Acknowledgements the broker refused (the "
        + "acquisition lock had expired: the record may get a second outcome)", ShareConsumerLoop::failedAckCount);
  }

  private void counter(MeterRegistry registry, String name, String description,
      ToDoubleFunction<ShareConsumerLoop> value) {
    FunctionCounter.builder(name, loop, value).description(description).register(registry);
  }

  @Override
  public Future<Void> start() {
    return loop.start();
  }

  @Override
  public void failed(Throwable cause) {
    fatal.accept(cause);
  }

  @Override
  public void acquired(List<ConsumerRecord<byte[], byte[]>> records) {
    for (ConsumerRecord<byte[], byte[]> record : records) {
      Event event = new Event(record, open);
      deliveryCounts.record(event.deliveryCount());
      if (stopping) {
        loop.acknowledge(record, AcknowledgeType.RELEASE);
      } else if (gate.hasRoom() && waiting.isEmpty()) {
        begin(new Acquired(record, event));
      } else {
        waiting.add(new Acquired(record, event));
      }
    }
  }

  private void begin(Acquired a) {
    gate.acquire();
    processing++;
    Future<Void> outcome;
    try {
      outcome = processor.apply(a.event());
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    outcome.onComplete(ar -> {
      processing--;
      gate.release();
      if (ar.succeeded()) {
        loop.acknowledge(a.record(), AcknowledgeType.ACCEPT);
      } else {
        LOG.warn("event=outcome_abandoned offset={} error={} action=released", a.event().offset(),
            ar.cause().toString());
        loop.acknowledge(a.record(), AcknowledgeType.RELEASE);
      }
      startWaiting();
      if (drained != null) {
        drained.check();
      }
    });
  }

  private void startWaiting() {
    while (!stopping && gate.hasRoom() && !waiting.isEmpty()) {
      begin(waiting.poll());
    }
  }

  /**
   * Stops acquiring, releases the records not started, waits up to {@code timeoutMs} for started
   * events to get their outcome (and be accepted), then releases the rest and closes the consumer.
   */
  @Override
  public Future<Void> stop(long timeoutMs) {
    stopping = true;
    loop.stopAcquiring();
    for (Acquired a : waiting) {
      loop.acknowledge(a.record(), AcknowledgeType.RELEASE);
    }
    if (!waiting.isEmpty()) {
      LOG.info("event=share_unstarted_released records={}", waiting.size());
    }
    waiting.clear();
    drained = new ShutdownDrain(vertx, timeoutMs, () -> processing);
    return drained.future().compose(v -> {
      // What has not finished is released for another member: its outcome must not come from here too.
      open.seal();
      backlog.close();
      return Future.fromCompletionStage(loop.close(), context);
    });
  }

  @Override
  public int processing() {
    return processing;
  }

  @Override
  public int inFlight() {
    return gate.inFlight();
  }

  @Override
  public int waiting() {
    return waiting.size();
  }

  /**
   * The share group's backlog (records not settled by any member, this one's included), not this
   * member's: members share every partition, so none has a lag of its own. The same on every member.
   */
  @Override
  public long lag() {
    return backlog.records();
  }

  /** The share consumer's own metrics, for Micrometer's Kafka binder; once started. */
  public org.apache.kafka.clients.consumer.Consumer<?, ?> metricsSource() {
    return loop.metricsSource();
  }

  @Override
  public boolean joined() {
    return loop.joined();
  }

  @Override
  public int pausedPartitions() {
    return 0;
  }
}
