package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.Map;

/** At-least-once: positions are committed to the consumer group after outcomes are acknowledged. */
public final class ConsumerOffsetSink implements OffsetSink {
  private final KafkaConsumer<?, ?> consumer;

  public ConsumerOffsetSink(KafkaConsumer<?, ?> consumer) {
    this.consumer = consumer;
  }

  @Override
  public Future<Void> prepare() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    return offsets.isEmpty() ? Future.succeededFuture() : consumer.commit(offsets).mapEmpty();
  }
}
