package io.loraflow.offsets;

import io.vertx.core.Future;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

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

  /**
   * Commits {@code offsets} (possibly empty) as the group member (its generation fences a member
   * that was replaced); always called once after each {@link #prepare()}. A transactional sink
   * runs its commit through {@code member}, which supplies the member's current metadata.
   */
  Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets, Member member);

  /**
   * Partitions were lost (the member fell out of the group). A transaction may hold outcomes of
   * their records: it must never commit, since their new owner processes them again. Called on
   * the event loop before the consumer polls again.
   */
  default void lost() {
  }

  /**
   * Runs work that needs the member's group metadata where that metadata cannot change under
   * it: on the consumer's thread between polls, or inside a rebalance callback (which holds the
   * rebalance until it returns).
   */
  interface Member {
    <T> Future<T> call(Function<ConsumerGroupMetadata, T> work);
  }

  /**
   * True when outcomes and positions commit together (a transaction): a revoke then commits
   * every partition's outcomes and positions, not only the revoked ones'.
   */
  boolean transactional();
}
