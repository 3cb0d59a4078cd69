package io.loraflow.service;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.ingest.Event;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.NotClassified;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.metrics.ServiceMetrics.Stage;
import io.loraflow.inference.Classification;
import io.loraflow.publish.EventRecords;
import io.loraflow.publish.ResultJson;
import io.loraflow.publish.PartitionSequencer;
import io.loraflow.publish.Publisher;
import io.loraflow.tracing.EventTracer;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one {@link Event} to exactly one outcome per request it holds (one, or one per record of
 * an S3 notification; a notification record that asks for nothing has none): a result on the
 * output topic, or a dead letter naming the reason. The returned future completes when those
 * outcomes are acknowledged by the broker. Whatever the record holds, and whatever a stage throws, the event ends in an outcome:
 * an unexpected exception is an {@code INTERNAL_ERROR} dead letter, a result the producer refuses
 * ({@code max.request.size}, say) a {@code PUBLISH_FAILED} one, and a dead letter too large to
 * send goes without its value. The future fails only when the publisher gave the send up
 * ({@link Publisher.Abandoned}: the event will be read again) or no outcome can be sent at all
 * (then {@code fatal} stops the service rather than skip the record).
 *
 * <p>Concurrency: event loop.
 */
final class EventProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(EventProcessor.class);

  private final RequestParser parser;
  private final Classifier classifier;
  private final Publisher publisher;
  private final String outputTopic;
  private final String dlqTopic;
  private final ServiceMetrics metrics;
  private final PartitionSequencer sequencer;
  private final long maxAgeMs;
  private final int maxRecordBytes;
  private final String defaultTask;
  private final int maxDeliveries;
  private final Consumer<Throwable> fatal;
  private final EventTracer tracer;

  /**
   * The settings of {@link EventProcessor}; {@code maxAgeMs} 0 means events never expire by age;
   * {@code defaultTask} is the task of requests that name none; a record delivered more than
   * {@code maxDeliveries} times (share groups count deliveries) is dead-lettered untried, 0 = no limit.
   */
  record Settings(String outputTopic, String dlqTopic, boolean partitionOrder, long maxAgeMs, int maxRecordBytes,
      String defaultTask, int maxDeliveries) {
  }

  EventProcessor(RequestParser parser, Classifier classifier, Publisher publisher, ServiceMetrics metrics,
      Settings settings, EventTracer tracer, Consumer<Throwable> fatal) {
    this.parser = parser;
    this.classifier = classifier;
    this.publisher = publisher;
    this.outputTopic = settings.outputTopic();
    this.dlqTopic = settings.dlqTopic();
    this.metrics = metrics;
    this.sequencer = settings.partitionOrder() ? new PartitionSequencer() : null;
    this.maxAgeMs = settings.maxAgeMs();
    this.maxRecordBytes = settings.maxRecordBytes();
    this.defaultTask = settings.defaultTask();
    this.maxDeliveries = settings.maxDeliveries();
    this.fatal = fatal;
    this.tracer = tracer;
  }

  /**
   * Takes {@code event} to its outcomes: one, or one per request it holds (an S3 notification's
   * records, each with an event of its own). They are classified one after another, so a record
   * brings one image at a time whatever it holds and {@code max.in.flight} still bounds the
   * images in flight; once all are, their outcomes are sent together, in one turn of the event
   * loop, so under {@code exactly_once} they land in one transaction with the record's position.
   * The future completes once every outcome is acknowledged, and fails when any was abandoned:
   * the record's offset is not committed and a share group's record not accepted, so it is read
   * again whole.
   */
  Future<Void> process(Event event) {
    event.span(tracer.start(event));
    long start = event.receivedNanos(); // latency counts the wait for an in-flight slot too
    List<RequestParser.Part> parts = parts(event);
    List<Event> entries = parts.size() == 1 ? List.of(event)
        : parts.stream().map(p -> event.entry()).toList();
    List<PartitionSequencer.Slot> slots = new ArrayList<>(entries.size());
    for (Event entry : entries) { // in input order, so results keep it under ordering=partition
      slots.add(sequencer == null ? null : sequencer.next(entry.partitionState()));
    }
    List<Future<Classification>> classified = new ArrayList<>(entries.size());
    Future<Void> previous = Future.succeededFuture();
    for (int i = 0; i < entries.size(); i++) {
      Event entry = entries.get(i);
      RequestParser.Part part = parts.get(i);
      previous = previous.transform(ar -> {
        Future<Classification> next = classify(entry, part);
        classified.add(next);
        return next.transform(done -> Future.<Void>succeededFuture());
      });
    }
    return previous.compose(v -> {
      List<Future<Void>> outcomes = new ArrayList<>(entries.size());
      for (int i = 0; i < entries.size(); i++) {
        outcomes.add(outcome(entries.get(i), classified.get(i), slots.get(i), start));
      }
      return outcomes.size() == 1 ? outcomes.get(0) : Future.join(outcomes).<Void>mapEmpty();
    }).onComplete(ar -> event.span().end(ar.cause())); // an S3 notification's entries carry no span of their own
  }

  /** The record's requests; a record refused as a whole is one part that throws why. */
  private List<RequestParser.Part> parts(Event event) {
    try {
      if (maxDeliveries > 0 && event.deliveryCount() > maxDeliveries) {
        // Every earlier try ended without an outcome: the record itself may be what kills us.
        throw new StageException(Reason.DELIVERY_LIMIT, "delivered " + event.deliveryCount()
            + " times, more than share.max.deliveries=" + maxDeliveries + "; each earlier try ended "
            + "without an outcome (the instance holding it crashed or stopped)");
      }
      return parser.parseAll(event.valueBuffer(), event.textHeaders(), event.coordinates());
    } catch (RuntimeException e) {
      return List.of(() -> {
        throw e;
      });
    }
  }

  private Future<Classification> classify(Event event, RequestParser.Part part) {
    try {
      ImageRequest request = part.request();
      if (maxAgeMs > 0 && event.timestamp() >= 0) { // -1: the record has no timestamp
        request = request.withDeadline(Instant.ofEpochMilli(event.timestamp()).plusMillis(maxAgeMs));
      }
      event.request(request);
      return classifier.classify(request, event::attempts);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Sends the outcome of one classification: a result, a dead letter, or none (skipped). */
  private Future<Void> outcome(Event event, Future<Classification> classified, PartitionSequencer.Slot slot,
      long start) {
    return classified.transform(ar -> {
      try {
        if (ar.failed() && ar.cause() instanceof NotClassified skip) {
          return skip(skip, slot);
        }
        return ar.succeeded() ? publishResult(event, ar.result(), slot, start)
            : deadLetter(event, asStageException(ar.cause()), slot, start);
      } catch (RuntimeException e) {
        return deadLetter(event, asStageException(e), slot, start);
      }
    });
  }

  private Future<Void> publishResult(Event event, Classification result, PartitionSequencer.Slot slot, long start) {
    byte[] json = ResultJson.write(result, event.topic(), event.partition(), event.offset());
    ProducerRecord<byte[], byte[]> out = EventRecords.result(outputTopic, event, json);
    int size = EventRecords.sizeOf(out);
    if (size > maxRecordBytes) {
      return deadLetter(event, new StageException(Reason.PUBLISH_FAILED, "the result (" + size
          + " bytes) is over the producer's max.request.size (" + maxRecordBytes + ")"), slot, start);
    }
    event.span().classified(result.timings());
    return send(event, slot, out, true).transform(ar -> {
      if (ar.succeeded()) {
        metrics.result(result.task(), System.nanoTime() - start);
        return Future.succeededFuture();
      }
      if (ar.cause() instanceof Publisher.Abandoned) {
        return Future.failedFuture(ar.cause());
      }
      // The result's slot is spent; the dead letter goes to its own topic, so order is kept.
      return deadLetter(event, new StageException(Reason.PUBLISH_FAILED, "the result was refused: "
          + ar.cause(), false, ar.cause()), null, start);
    });
  }

  /** No outcome: the record asked for none. Its slot is passed on in order, its offset completes. */
  private Future<Void> skip(NotClassified why, PartitionSequencer.Slot slot) {
    metrics.skipped(why.reason());
    return slot == null ? Future.succeededFuture() : slot.release(Future::succeededFuture);
  }

  private Future<Void> deadLetter(Event event, StageException error, PartitionSequencer.Slot slot, long start) {
    ProducerRecord<byte[], byte[]> out = EventRecords.deadLetter(dlqTopic, event, error, true);
    boolean fits = EventRecords.sizeOf(out) <= maxRecordBytes;
    if (!fits) {
      out = EventRecords.deadLetter(dlqTopic, event, error, false);
    }
    boolean valueKept = fits;
    event.span().deadLettered(error.reason(), error.getMessage());
    return send(event, slot, out, false).transform(ar -> {
      if (ar.succeeded()) {
        metrics.deadLetter(error.reason(), taskOf(event, error), System.nanoTime() - start);
        return Future.succeededFuture();
      }
      if (ar.cause() instanceof Publisher.Abandoned) {
        return Future.failedFuture(ar.cause());
      }
      if (valueKept) {
        // The slot is spent; the retry goes to the dead-letter topic, where order is not kept.
        return send(event, null, EventRecords.deadLetter(dlqTopic, event, error, false), false)
            .onSuccess(v -> metrics.deadLetter(error.reason(), taskOf(event, error), System.nanoTime() - start))
            .recover(e -> noOutcome(event, e));
      }
      return noOutcome(event, ar.cause());
    });
  }

  /**
   * The task a dead letter counts under: the request's, or null when the request could not be
   * read or names a task this service does not serve (a producer's typo must not become a series).
   */
  private String taskOf(Event event, StageException error) {
    ImageRequest request = event.request();
    if (request == null || error.reason() == Reason.UNKNOWN_TASK) {
      return null;
    }
    return request.task() != null ? request.task() : defaultTask;
  }

  /** Not even a dead letter can be sent (the dead-letter topic refuses us): stop, skip nothing. */
  private Future<Void> noOutcome(Event event, Throwable cause) {
    if (!(cause instanceof Publisher.Abandoned)) {
      LOG.error("event=no_outcome_possible topic={} partition={} offset={} error={}", event.topic(),
          event.partition(), event.offset(), cause.toString());
      fatal.accept(cause);
    }
    return Future.failedFuture(cause);
  }

  /** {@code result}: the record carries the event's trace context on (a dead letter's headers stay the input's). */
  private Future<Void> send(Event event, PartitionSequencer.Slot slot, ProducerRecord<byte[], byte[]> out,
      boolean result) {
    // An outcome of a partition handed over (or of work thrown away) must not be published.
    BooleanSupplier wanted = () -> !event.partitionState().isSealed();
    long ready = System.nanoTime();
    event.span().sending(out.topic(), result ? out.headers() : null);
    Future<Void> sent = slot == null ? publisher.send(out, wanted)
        : slot.release(() -> publisher.send(out, wanted));
    return sent.onComplete(ar -> event.span().sent(ar.cause()))
        .onSuccess(v -> metrics.stage(Stage.PUBLISH, System.nanoTime() - ready));
  }

  private static StageException asStageException(Throwable e) {
    if (e instanceof StageException se) {
      return se;
    }
    LOG.warn("event=internal_error error={}", e.toString(), e);
    return new StageException(Reason.INTERNAL_ERROR, "unexpected error: " + e, false, e);
  }
}
