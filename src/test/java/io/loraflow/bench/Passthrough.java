package io.loraflow.bench;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.KafkaClients;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * The pipe-bound baseline: consume → produce with the service's own Kafka client (Vert.x 5) and
 * the very client properties the service uses ({@link KafkaClients#consumer}/{@link
 * KafkaClients#producer} of the same config: acks=all, idempotent, linger 5 ms, manual commits).
 * Each input record is re-published unchanged (same key and value) to the output topic; offsets
 * are committed every {@code commit.interval.ms}. No parsing, no image work, no model.
 */
final class Passthrough extends VerticleBase {
  private final LoraflowConfig config;
  private KafkaConsumer<Buffer, Buffer> consumer;
  private KafkaProducer<Buffer, Buffer> producer;
  private long timer;

  Passthrough(LoraflowConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    producer = KafkaProducer.create(vertx, vertxProps(KafkaClients.producer(config)));
    consumer = KafkaConsumer.create(vertx, vertxProps(KafkaClients.consumer(config)));
    String out = config.getString(LoraflowConfig.OUTPUT_TOPIC);
    consumer.handler(r -> {
      producer.write(KafkaProducerRecord.create(out, r.key(), r.value()));
      if (producer.writeQueueFull()) {
        // Short stalls only (the producer drains within milliseconds): the stream-level pause is
        // fine here, the service itself pauses partitions instead.
        consumer.pause();
        producer.drainHandler(v -> consumer.resume());
      }
    });
    timer = vertx.setPeriodic(config.getLong(LoraflowConfig.COMMIT_INTERVAL_MS), id -> consumer.commit());
    return consumer.subscribe(config.getString(LoraflowConfig.INPUT_TOPIC));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return consumer.close().eventually(() -> producer.close());
  }

  /** The service's client settings with the Vert.x client's Buffer (de)serializers. */
  private static java.util.Map<String, String> vertxProps(java.util.Map<String, Object> props) {
    java.util.Map<String, String> p = new java.util.HashMap<>();
    props.forEach((k, v) -> p.put(k, String.valueOf(v)));
    p.put("key.serializer", "io.vertx.kafka.client.serialization.BufferSerializer");
    p.put("value.serializer", "io.vertx.kafka.client.serialization.BufferSerializer");
    p.put("key.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer");
    p.put("value.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer");
    return p;
  }
}
