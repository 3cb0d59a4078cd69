package io.loraflow.offsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A commit whose answer never comes (seen with a frozen coordinator) times out on the event loop
 * and the commits queued behind it go on. Before, the timeout fired on a Netty global thread,
 * so the code releasing slots ran concurrently with the event loop. A transaction's commit that
 * times out still holds the next commit until the producer answers (CommitTimeoutTest shows it
 * on the broker).
 */
class OffsetCommitterTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  @Test
  void aCommitThatNeverAnswersTimesOutOnTheEventLoopAndTheNextCommitGoesOn() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<Promise<Void>> answers = new ArrayList<>();
    List<Map<TopicPartition, OffsetAndMetadata>> asked = new ArrayList<>();
    OffsetSink neverFirst = sink(false, offsets -> {
      asked.add(offsets);
      Promise<Void> p = Promise.promise(); // no context: completed from a foreign thread below
      answers.add(p);
      if (answers.size() > 1) {
        new Thread(p::complete).start();
      }
      return p.future();
    });
    TopicPartition tp = new TopicPartition("t", 0);
    CompletableFuture<Thread> firstDoneOn = new CompletableFuture<>();
    CompletableFuture<Long> committedAfterSecond = new CompletableFuture<>();
    CompletableFuture<Thread> loop = new CompletableFuture<>();
    context.runOnContext(v -> {
      loop.complete(Thread.currentThread());
      OffsetCommitter committer = new OffsetCommitter(vertx, neverFirst, null, 300);
      PartitionOffsets state = committer.assigned(tp);
      state.received(0);
      state.completed(0);
      committer.commitAll().onComplete(ar -> firstDoneOn.complete(Thread.currentThread()));
      state.received(1);
      state.completed(1);
      committer.commitAll().onComplete(ar -> committedAfterSecond.complete(state.committedPosition()));
    });
    assertSame(loop.get(5, TimeUnit.SECONDS), firstDoneOn.get(5, TimeUnit.SECONDS),
        "the timed-out commit completes on the event loop");
    assertEquals(2L, committedAfterSecond.get(5, TimeUnit.SECONDS), "the next commit carries the positions");
    assertEquals(2, asked.size());
    assertTrue(asked.get(1).get(tp).offset() == 2);
  }

  @Test
  void underATransactionTheNextCommitWaitsForTheTimedOutOnesRealAnswer() throws Exception {
    List<Promise<Void>> answers = new CopyOnWriteArrayList<>();
    OffsetSink slowTransaction = sink(true, offsets -> {
      Promise<Void> p = Promise.promise();
      answers.add(p);
      return p.future();
    });
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Void> firstDone = new CompletableFuture<>();
    CompletableFuture<Void> secondDone = new CompletableFuture<>();
    context.runOnContext(v -> {
      OffsetCommitter committer = new OffsetCommitter(vertx, slowTransaction, null, 200);
      PartitionOffsets state = committer.assigned(new TopicPartition("t", 0));
      state.received(0);
      state.completed(0);
      committer.commitAll().onComplete(ar -> firstDone.complete(null));
      committer.commitAll().onComplete(ar -> secondDone.complete(null));
    });
    Thread.sleep(600); // three timeouts' worth
    assertEquals(1, answers.size(), "the producer still commits the first transaction: the next waits");
    assertTrue(!firstDone.isDone() && !secondDone.isDone());
    context.runOnContext(v -> answers.get(0).complete());
    firstDone.get(5, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (answers.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(2, answers.size(), "once it is answered, the next commit starts");
    context.runOnContext(v -> answers.get(1).complete());
    secondDone.get(5, TimeUnit.SECONDS);
  }

  /** A sink whose commits {@code commit} answers; nothing to prepare. */
  private static OffsetSink sink(boolean transactional,
      Function<Map<TopicPartition, OffsetAndMetadata>, Future<Void>> commit) {
    return new OffsetSink() {
      @Override
      public Future<Void> prepare() {
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets, Member member) {
        return commit.apply(offsets);
      }

      @Override
      public boolean transactional() {
        return transactional;
      }
    };
  }
}
