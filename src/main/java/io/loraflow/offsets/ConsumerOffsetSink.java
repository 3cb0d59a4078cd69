package io.loraflow.offsets;

import io.loraflow.ingest.PollLoop;
import io.vertx.core.Future;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** At-least-once: positions are committed to the consumer group after outcomes are acknowledged. */
public final class ConsumerOffsetSink implements OffsetSink {
  private final PollLoop consumer;

  public ConsumerOffsetSink(PollLoop consumer) {
    this.consumer = consumer;
  }

  @Override
  public Future<Void> prepare() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets, Member member) {
    return consumer.commit(offsets);
  }

  @Override
  public boolean transactional() {
    return false;
  }
}
