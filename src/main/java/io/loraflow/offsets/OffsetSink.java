package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.Map;

/**
 * Where committed positions go: the consumer group directly (at-least-once) or the producer's
 * transaction (exactly-once). {@link OffsetCommitter} calls {@link #prepare()}, then computes the
 * positions, then {@link #commit}, one commit at a time.
 */
public interface OffsetSink {

  /**
   * Completes when every outcome that the positions computed next may count is acknowledged.
   * For transactions this also holds new sends back until {@link #commit} returns.
   */
  Future<Void> prepare();

  /** Commits {@code offsets} (possibly empty); always called once after each {@link #prepare()}. */
  Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets);
}
