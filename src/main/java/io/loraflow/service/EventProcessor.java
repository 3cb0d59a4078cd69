package io.loraflow.service;

import io.loraflow.error.StageException;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.metrics.ServiceMetrics.Stage;
import io.loraflow.publish.EventRecords;
import io.loraflow.publish.ResultPublisher;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
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
  private final ResultPublisher publisher;
  private final String outputTopic;
  private final String dlqTopic;
  private final ServiceMetrics metrics;

  EventProcessor(RequestParser parser, Classifier classifier, ResultPublisher publisher,
      String outputTopic, String dlqTopic, ServiceMetrics metrics) {
    this.parser = parser;
    this.classifier = classifier;
    this.publisher = publisher;
    this.outputTopic = outputTopic;
    this.dlqTopic = dlqTopic;
    this.metrics = metrics;
  }

  Future<Void> process(KafkaConsumerRecord<Buffer, Buffer> record) {
    long start = System.nanoTime();
    String defaultId = record.topic() + "-" + record.partition() + "-" + record.offset();
    ImageRequest request;
    try {
      request = parser.parse(record.value(), headers(record), defaultId);
    } catch (StageException e) {
      return deadLetter(record, null, e, 1, start);
    }
    int[] attempts = {1};
    return classifier.classify(request, attempts)
        .compose(json -> {
          long publishStart = System.nanoTime();
          return publisher.send(EventRecords.result(outputTopic, record,
                  json.put("source", EventRecords.source(record))))
              .onSuccess(v -> {
                long now = System.nanoTime();
                metrics.stage(Stage.PUBLISH, now - publishStart);
                metrics.result(now - start);
              });
        })
        .recover(e -> e instanceof StageException se
            ? deadLetter(record, request.id(), se, attempts[0], start)
            : Future.failedFuture(e));
  }

  private Future<Void> deadLetter(KafkaConsumerRecord<Buffer, Buffer> record, String id,
      StageException error, int attempts, long start) {
    return publisher.send(EventRecords.deadLetter(dlqTopic, record, id, error, attempts))
        .onSuccess(v -> metrics.deadLetter(error.reason(), System.nanoTime() - start));
  }

  private static Map<String, String> headers(KafkaConsumerRecord<Buffer, Buffer> record) {
    Map<String, String> out = new HashMap<>();
    record.headers().forEach(h -> out.put(h.key().toLowerCase(Locale.ROOT),
        h.value() == null ? "" : h.value().toString()));
    return out;
  }
}
