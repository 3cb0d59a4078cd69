package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link PartitionOffsets} of the assigned partitions and commits their positions
 * through an {@link OffsetSink}: periodically, on revoke and on shutdown, one commit at a time.
 * A position is committed only after every earlier received event of its partition had its
 * outcome acknowledged.
 *
 * <p>Concurrency: event loop only.
 */
public final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

  static final long COMMIT_TIMEOUT_MS = 15_000;

  private final OffsetSink sink;
  private final Map<TopicPartition, PartitionOffsets> partitions = new HashMap<>();
  private Future<Void> last = Future.succeededFuture();

  public OffsetCommitter(OffsetSink sink) {
    this.sink = sink;
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

  /**
   * Forgets {@code revoked} and commits what is done in them; their states are revoked once that
   * commit ends, so later completions are ignored.
   */
  public Future<Void> revoked(Collection<TopicPartition> revoked) {
    Map<TopicPartition, PartitionOffsets> gone = new HashMap<>();
    for (TopicPartition tp : revoked) {
      PartitionOffsets state = partitions.remove(tp);
      if (state != null) {
        gone.put(tp, state);
      }
    }
    return enqueue(gone).eventually(() -> {
      gone.values().forEach(PartitionOffsets::revoke);
      return Future.succeededFuture();
    });
  }

  /** Commits every assigned partition whose position moved. */
  public Future<Void> commitAll() {
    return enqueue(partitions);
  }

  private Future<Void> enqueue(Map<TopicPartition, PartitionOffsets> states) {
    last = last.eventually(() -> commit(states));
    return last;
  }

  private Future<Void> commit(Map<TopicPartition, PartitionOffsets> states) {
    return sink.prepare().compose(ready -> {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      Map<PartitionOffsets, Long> positions = new HashMap<>();
      states.forEach((tp, state) -> {
        OptionalLong p = state.toCommit();
        if (p.isPresent()) {
          offsets.put(tp, new OffsetAndMetadata(p.getAsLong(), ""));
          positions.put(state, p.getAsLong());
        }
      });
      // A commit whose callback never comes (seen under rebalances with this client) must not
      // hold the slots it would free, nor the commits queued behind it: give up after a while
      // and let the next commit carry the same positions.
      return sink.commit(offsets)
          .timeout(COMMIT_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .onSuccess(ok -> positions.forEach(PartitionOffsets::committed))
          .onFailure(e -> LOG.warn("event=commit_failed partitions={} error={}", offsets.keySet(), e.toString()));
    }).recover(e -> Future.succeededFuture());
  }
}
