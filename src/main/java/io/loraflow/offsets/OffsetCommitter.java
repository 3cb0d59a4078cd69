package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link PartitionOffsets} of the assigned partitions and commits their positions:
 * periodically, on revoke and on shutdown. At-least-once: a position is committed only after
 * every earlier received event of its partition was published and acknowledged.
 *
 * <p>Concurrency: event loop only.
 */
public final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

  private final KafkaConsumer<?, ?> consumer;
  private final Map<TopicPartition, PartitionOffsets> partitions = new HashMap<>();
  private Future<Void> inProgress = Future.succeededFuture();

  public OffsetCommitter(KafkaConsumer<?, ?> consumer) {
    this.consumer = consumer;
  }

  /** A fresh state for a newly assigned partition (a re-assigned one gets a new state too). */
  public PartitionOffsets assigned(TopicPartition tp) {
    PartitionOffsets state = new PartitionOffsets();
    PartitionOffsets old = partitions.put(tp, state);
    if (old != null) {
      old.revoke();
    }
    return state;
  }

  /** The state of an assigned partition, or null. */
  public PartitionOffsets get(TopicPartition tp) {
    return partitions.get(tp);
  }

  /** Commits what is done in {@code revoked}, then forgets them; late completions are ignored. */
  public Future<Void> revoked(Collection<TopicPartition> revoked) {
    Map<TopicPartition, PartitionOffsets> gone = new HashMap<>();
    for (TopicPartition tp : revoked) {
      PartitionOffsets state = partitions.remove(tp);
      if (state != null) {
        gone.put(tp, state);
      }
    }
    Future<Void> commit = commit(gone);
    gone.values().forEach(PartitionOffsets::revoke);
    return commit;
  }

  /** Commits every assigned partition whose position moved. */
  public Future<Void> commitAll() {
    return commit(partitions);
  }

  private Future<Void> commit(Map<TopicPartition, PartitionOffsets> states) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    Map<TopicPartition, Long> positions = new HashMap<>();
    states.forEach((tp, state) -> {
      OptionalLong p = state.toCommit();
      if (p.isPresent()) {
        offsets.put(tp, new OffsetAndMetadata(p.getAsLong(), ""));
        positions.put(tp, p.getAsLong());
      }
    });
    if (offsets.isEmpty()) {
      return inProgress;
    }
    Future<Void> commit = consumer.commit(offsets)
        .onSuccess(ok -> positions.forEach((tp, pos) -> states.get(tp).committed(pos)))
        .onFailure(e -> LOG.warn("event=commit_failed partitions={} error={}", offsets.keySet(), e.toString()))
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture());
    inProgress = commit;
    return commit;
  }
}
