package io.loraflow.service;

import io.loraflow.error.StageException;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.metrics.ServiceMetrics.Stage;
import io.loraflow.publish.EventRecords;
import io.loraflow.publish.PartitionSequencer;
import io.loraflow.publish.Publisher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Takes one input record to exactly one outcome: a result on the output topic, or a dead letter
 * naming the reason. The returned future completes when that outcome is acknowledged by the
 * broker, and never fails while the publisher is open.
 *
 * <p>Concurrency: event loop.
 */
final class EventProcessor {
  private final RequestParser parser;
  private final Classifier classifier;
  private final Publisher publisher;
  private final String outputTopic;
  private final String dlqTopic;
  private final ServiceMetrics metrics;
  private final PartitionSequencer sequencer;
  private final long maxAgeMs;

  /**
   * {@code sequencer} is null for {@code ordering=none}; {@code maxAgeMs} 0 means events never
   * expire by age.
   */
  EventProcessor(RequestParser parser, Classifier classifier, Publisher publisher,
      String outputTopic, String dlqTopic, ServiceMetrics metrics, PartitionSequencer sequencer,
      long maxAgeMs) {
    this.parser = parser;
    this.classifier = classifier;
    this.publisher = publisher;
    this.outputTopic = outputTopic;
    this.dlqTopic = dlqTopic;
    this.metrics = metrics;
    this.sequencer = sequencer;
    this.maxAgeMs = maxAgeMs;
  }

  Future<Void> process(KafkaConsumerRecord<Buffer, Buffer> record) {
    long start = System.nanoTime();
    PartitionSequencer.Slot slot = sequencer == null ? null
        : sequencer.next(record.topic() + "-" + record.partition());
    String defaultId = record.topic() + "-" + record.partition() + "-" + record.offset();
    ImageRequest request;
    try {
      request = parser.parse(record.value(), headers(record), defaultId);
    } catch (StageException e) {
      return deadLetter(slot, record, null, e, 1, start);
    }
    if (maxAgeMs > 0 && record.timestamp() > 0) {
      request = request.withDeadline(Instant.ofEpochMilli(record.timestamp()).plusMillis(maxAgeMs));
    }
    String id = request.id();
    int[] attempts = {1};
    return classifier.classify(request, attempts)
        .transform(ar -> {
          if (ar.failed()) {
            return ar.cause() instanceof StageException se
                ? deadLetter(slot, record, id, se, attempts[0], start)
                : Future.failedFuture(ar.cause());
          }
          KafkaProducerRecord<Buffer, Buffer> out = EventRecords.result(outputTopic, record,
              ar.result().put("source", EventRecords.source(record)));
          return send(slot, out).onSuccess(v -> metrics.result(System.nanoTime() - start));
        });
  }

  private Future<Void> deadLetter(PartitionSequencer.Slot slot, KafkaConsumerRecord<Buffer, Buffer> record,
      String id, StageException error, int attempts, long start) {
    return send(slot, EventRecords.deadLetter(dlqTopic, record, id, error, attempts))
        .onSuccess(v -> metrics.deadLetter(error.reason(), System.nanoTime() - start));
  }

  private Future<Void> send(PartitionSequencer.Slot slot, KafkaProducerRecord<Buffer, Buffer> out) {
    long ready = System.nanoTime();
    Future<Void> sent = slot == null ? publisher.send(out) : slot.release(() -> publisher.send(out));
    return sent.onSuccess(v -> metrics.stage(Stage.PUBLISH, System.nanoTime() - ready));
  }

  private static Map<String, String> headers(KafkaConsumerRecord<Buffer, Buffer> record) {
    Map<String, String> out = new HashMap<>();
    record.headers().forEach(h -> out.put(h.key().toLowerCase(Locale.ROOT),
        h.value() == null ? "" : h.value().toString()));
    return out;
  }
}
