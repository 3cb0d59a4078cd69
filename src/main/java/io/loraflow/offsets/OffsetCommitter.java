package io.loraflow.offsets;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link PartitionOffsets} of the assigned partitions and commits their positions
 * through an {@link OffsetSink}: periodically, at the in-flight mark, on revoke and on shutdown,
 * one commit at a time. A position is committed only after every earlier received event of its
 * partition had its outcome acknowledged.
 *
 * <p>A commit unanswered after {@value #COMMIT_TIMEOUT_MS} ms counts as failed (its positions ride
 * on the next commit); the next commit starts then, except under a transaction, where it waits
 * for the producer to finish the one in progress.
 *
 * <p>Concurrency: event loop only; every returned future completes on the event loop (a commit
 * that times out is failed by an event-loop timer, never by a thread of the client).
 */
public final class OffsetCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCommitter.class);

  static final long COMMIT_TIMEOUT_MS = 15_000;

  private final long commitTimeoutMs;

  private final Vertx vertx;
  private final OffsetSink sink;
  /** Runs transactional commits on the consumer's thread, with its current metadata. */
  private final OffsetSink.Member member;
  private final Map<TopicPartition, PartitionOffsets> partitions = new HashMap<>();
  private Future<Void> last = Future.succeededFuture();
  /** Commits failed in a row. */
  private int failing;

  /** {@code member} runs a commit where the member's group metadata is current (the poll thread). */
  public OffsetCommitter(Vertx vertx, OffsetSink sink, OffsetSink.Member member) {
    this(vertx, sink, member, COMMIT_TIMEOUT_MS);
  }

  OffsetCommitter(Vertx vertx, OffsetSink sink, OffsetSink.Member member, long commitTimeoutMs) {
    this.vertx = vertx;
    this.sink = sink;
    this.member = member;
    this.commitTimeoutMs = commitTimeoutMs;
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

  /** The state of an assigned partition, or null when the partition is not ours. */
  public PartitionOffsets get(TopicPartition tp) {
    return partitions.get(tp);
  }

  /** The partitions owned now and their states. */
  public Map<TopicPartition, PartitionOffsets> owned() {
    return partitions;
  }

  /**
   * Forgets {@code lost} without committing: another member may already own them. An open
   * transaction is aborted (see {@link OffsetSink#lost}).
   */
  public void lost(Collection<TopicPartition> lost) {
    for (TopicPartition tp : lost) {
      PartitionOffsets state = partitions.remove(tp);
      if (state != null) {
        state.revoke();
      }
    }
    sink.lost();
  }

  /** Forgets every partition's progress (after an aborted transaction): nothing read so far counts. */
  public void reset() {
    partitions.replaceAll((tp, state) -> {
      state.revoke();
      return new PartitionOffsets();
    });
  }

  /**
   * Gives up {@code revoked}: completes with the positions the consumer must commit in its
   * revoke callback. Under a transaction every partition's outcomes and positions are committed
   * here (as {@code group}) and the answer is empty. The states are revoked either way, so later
   * completions are ignored.
   */
  public Future<Map<TopicPartition, OffsetAndMetadata>> revoking(Collection<TopicPartition> revoked,
      ConsumerGroupMetadata group) {
    Map<TopicPartition, PartitionOffsets> gone = new HashMap<>();
    for (TopicPartition tp : revoked) {
      PartitionOffsets state = partitions.get(tp);
      if (state != null) {
        gone.put(tp, state);
      }
    }
    Future<Map<TopicPartition, OffsetAndMetadata>> answer;
    if (sink.transactional()) {
      answer = enqueue(partitions, group).map(v -> Map.of());
    } else {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      gone.forEach((tp, state) -> state.toCommit().ifPresent(p -> offsets.put(tp, new OffsetAndMetadata(p))));
      answer = Future.succeededFuture(offsets);
    }
    return answer.andThen(ar -> gone.forEach((tp, state) -> {
      partitions.remove(tp, state);
      state.revoke();
    }));
  }

  /** Commits every owned partition whose position moved. */
  public Future<Void> commitAll() {
    return enqueue(partitions, null);
  }

  private Future<Void> enqueue(Map<TopicPartition, PartitionOffsets> states, ConsumerGroupMetadata revokeGroup) {
    last = last.eventually(() -> commit(states, revokeGroup));
    return last;
  }

  private Future<Void> commit(Map<TopicPartition, PartitionOffsets> states, ConsumerGroupMetadata revokeGroup) {
    return sink.prepare().compose(ready -> {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      Map<PartitionOffsets, Long> positions = new HashMap<>();
      states.forEach((tp, state) -> {
        OptionalLong p = state.toCommit();
        if (p.isPresent()) {
          offsets.put(tp, new OffsetAndMetadata(p.getAsLong()));
          positions.put(state, p.getAsLong());
        }
      });
      // Inside a revoke callback the poll thread is busy waiting for us: the callback's metadata
      // is current until it returns, so the commit runs on a worker with it.
      OffsetSink.Member as = revokeGroup == null ? member : new OffsetSink.Member() {
        @Override
        public <T> Future<T> call(java.util.function.Function<ConsumerGroupMetadata, T> work) {
          return vertx.executeBlocking(() -> work.apply(revokeGroup));
        }
      };
      // A commit whose answer never comes must not hold the slots it would free, nor the commits
      // queued behind it: give up after a while and let the next commit carry the same positions.
      Future<Void> answer = sink.commit(offsets, as);
      Future<Void> timed = withTimeout(answer, commitTimeoutMs)
          .onSuccess(ok -> {
            positions.forEach(PartitionOffsets::committed);
            if (failing > 0) {
              LOG.warn("event=commit_recovered failedCommits={}", failing);
              failing = 0;
            }
          })
          .onFailure(e -> {
            // One line when commits start failing (a rebalance in progress fails every commit
            // until it ends) and one when they work again; the positions ride on the next commit.
            if (failing++ == 0) {
              LOG.warn("event=commit_failed partitions={} error={}", offsets.keySet(), e.toString());
            }
          });
      // Except a transaction's: the producer is still committing it, so the next commit waits
      // for its real answer (bounded by the producer's max.block.ms). Started beside it, the next
      // would find the transaction ended under it and abort the next one's work, or commit sends
      // of the next transaction under positions that do not cover them.
      return sink.transactional() ? Future.join(timed, answer).<Void>mapEmpty() : timed;
    }).recover(e -> Future.succeededFuture());
  }

  /** {@code f}, or a failure after {@code ms}, completed on the event loop either way. */
  private Future<Void> withTimeout(Future<Void> f, long ms) {
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(ms, id -> p.tryFail(new TimeoutException("no answer to the commit in " + ms + " ms")));
    io.vertx.core.Context here = vertx.getOrCreateContext();
    f.onComplete(ar -> here.runOnContext(v -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete();
      } else {
        p.tryFail(ar.cause());
      }
    }));
    return p.future();
  }
}
