package io.loraflow.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.offsets.OffsetSink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A send that fails while a commit waits for the open transaction's sends (the broker aborted a
 * transaction older than {@code transaction.timeout.ms}: the next answer is an epoch error) must
 * end that wait. Before, the commit waited forever and every later commit queued behind it: the
 * slots were never freed and the instance stalled with its partitions (seen once in CI, on a slow
 * machine, in ExactlyOnceKillTest).
 */
class TransactionalPublisherTest {
  private static final ConsumerGroupMetadata MEMBER =
      new ConsumerGroupMetadata("g", 7, "member-1", java.util.Optional.empty());
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  @Test
  void aSendFailingWhileACommitWaitsAbortsAndTheCommitEnds() throws Exception {
    MockProducer<byte[], byte[]> mock =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    AtomicInteger resets = new AtomicInteger();
    List<Throwable> fatal = new CopyOnWriteArrayList<>();
    Context context = vertx.getOrCreateContext();
    CompletableFuture<TransactionalPublisher> made = new CompletableFuture<>();
    context.runOnContext(v -> {
      TransactionalPublisher publisher = new TransactionalPublisher(vertx, () -> mock,
          ready -> resets.incrementAndGet(), fatal::add);
      publisher.init().onComplete(ar -> made.complete(publisher));
    });
    TransactionalPublisher publisher = made.get(5, TimeUnit.SECONDS);

    CompletableFuture<Throwable> sent = new CompletableFuture<>();
    CompletableFuture<String> committed = new CompletableFuture<>();
    OffsetSink.Member member = new OffsetSink.Member() {
      @Override
      public <T> Future<T> call(java.util.function.Function<ConsumerGroupMetadata, T> work) {
        return vertx.executeBlocking(() -> work.apply(MEMBER));
      }
    };
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(new TopicPartition("in", 0), new OffsetAndMetadata(1));
    context.runOnContext(v -> {
      publisher.send(new ProducerRecord<>("out", new byte[] {1}), () -> true)
          .onComplete(ar -> sent.complete(ar.cause()));
      publisher.prepare()
          .compose(ready -> publisher.commit(offsets, member))
          .onComplete(ar -> committed.complete(ar.succeeded() ? "committed" : ar.cause().getMessage()));
    });
    Thread.sleep(200);
    assertTrue(!committed.isDone(), "the commit waits for the transaction's send");
    mock.errorNext(new InvalidProducerEpochException("transaction timed out on the broker"));

    assertTrue(sent.get(5, TimeUnit.SECONDS) instanceof Publisher.Abandoned, "the send is abandoned");
    assertEquals("transaction aborted", committed.get(5, TimeUnit.SECONDS),
        "the waiting commit ends (failed: nothing of the aborted transaction may be committed)");
    assertEquals(1, resets.get(), "the ingest rewinds once");
    assertTrue(fatal.isEmpty(), "not fatal: " + fatal);
    assertTrue(!mock.sentOffsets(), "no positions committed for the aborted transaction");

    // And the publisher goes on: the next transaction commits its send and positions.
    long deadline = System.nanoTime() + 5_000_000_000L;
    CompletableFuture<String> next = new CompletableFuture<>();
    while (!next.isDone() && System.nanoTime() < deadline) {
      CompletableFuture<String> attempt = new CompletableFuture<>();
      context.runOnContext(v -> {
        Future<Void> s = publisher.send(new ProducerRecord<>("out", new byte[] {2}), () -> true);
        mock.completeNext();
        s.compose(ok -> publisher.prepare())
            .compose(ready -> publisher.commit(offsets, member))
            .onComplete(ar -> attempt.complete(ar.succeeded() ? "committed" : ar.cause().getMessage()));
      });
      String outcome = attempt.get(5, TimeUnit.SECONDS);
      if (outcome.equals("committed")) {
        next.complete(outcome);
      } else {
        Thread.sleep(50); // still recovering
      }
    }
    assertEquals("committed", next.getNow("no commit after the abort"));
    assertTrue(mock.sentOffsets());
  }

  /**
   * A zombie (an instance frozen past its session timeout, then thawed) loses its partitions,
   * and its consumer may rejoin before a commit queued earlier runs on the consumer's thread: the
   * new generation would let that commit through, making outcomes of records the new owner
   * processes again visible (seen under load in ExactlyOnceFreezeTest: 8 offsets twice). The loss
   * aborts the open transaction, and the queued commit, run afterwards, commits nothing.
   */
  @Test
  void aCommitQueuedBeforeTheLossOfPartitionsCommitsNothing() throws Exception {
    MockProducer<byte[], byte[]> mock =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    AtomicInteger resets = new AtomicInteger();
    Context context = vertx.getOrCreateContext();
    CompletableFuture<TransactionalPublisher> made = new CompletableFuture<>();
    context.runOnContext(v -> {
      TransactionalPublisher publisher = new TransactionalPublisher(vertx, () -> mock,
          ready -> resets.incrementAndGet(), e -> { });
      publisher.init().onComplete(ar -> made.complete(publisher));
    });
    TransactionalPublisher publisher = made.get(5, TimeUnit.SECONDS);

    // The consumer's thread: the commit waits there until the test runs it.
    CompletableFuture<Runnable> queued = new CompletableFuture<>();
    OffsetSink.Member member = new OffsetSink.Member() {
      @Override
      public <T> Future<T> call(java.util.function.Function<ConsumerGroupMetadata, T> work) {
        io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
        queued.complete(() -> {
          try {
            p.complete(work.apply(MEMBER));
          } catch (RuntimeException e) {
            p.fail(e);
          }
        });
        return p.future();
      }
    };
    CompletableFuture<String> committed = new CompletableFuture<>();
    context.runOnContext(v -> publisher.send(new ProducerRecord<>("out", new byte[] {1}), () -> true)
        .compose(ok -> publisher.prepare())
        .compose(ready -> publisher.commit(Map.of(new TopicPartition("in", 0), new OffsetAndMetadata(1)), member))
        .onComplete(ar -> committed.complete(ar.succeeded() ? "committed" : ar.cause().getMessage())));
    Runnable commit = queued.get(5, TimeUnit.SECONDS);
    CompletableFuture<Void> lost = new CompletableFuture<>();
    context.runOnContext(v -> {
      publisher.lost();
      lost.complete(null);
    });
    lost.get(5, TimeUnit.SECONDS);
    commit.run(); // the consumer's thread gets to the queued commit only now

    assertEquals("transaction aborted", committed.get(5, TimeUnit.SECONDS));
    assertTrue(!mock.transactionCommitted(), "nothing committed");
    assertTrue(!mock.sentOffsets(), "no positions sent");
    assertEquals(1, resets.get(), "the ingest rewinds to the committed positions");
  }

  @Test
  void aCommitAsNoMemberOfTheGroupIsRefused() throws Exception {
    MockProducer<byte[], byte[]> mock =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    Context context = vertx.getOrCreateContext();
    CompletableFuture<String> committed = new CompletableFuture<>();
    context.runOnContext(v -> {
      TransactionalPublisher publisher = new TransactionalPublisher(vertx, () -> mock, ready -> { }, e -> { });
      OffsetSink.Member noMember = new OffsetSink.Member() {
        @Override
        public <T> Future<T> call(java.util.function.Function<ConsumerGroupMetadata, T> work) {
          return vertx.executeBlocking(() -> work.apply(new ConsumerGroupMetadata("g")));
        }
      };
      publisher.init()
          .compose(x -> publisher.send(new ProducerRecord<>("out", new byte[] {1}), () -> true))
          .compose(ok -> publisher.prepare())
          .compose(ready -> publisher.commit(Map.of(new TopicPartition("in", 0), new OffsetAndMetadata(1)), noMember))
          .onComplete(ar -> committed.complete(ar.succeeded() ? "committed" : ar.cause().getMessage()));
    });
    assertTrue(committed.get(5, TimeUnit.SECONDS).startsWith("not a member of the group now"));
    assertTrue(!mock.transactionCommitted() && !mock.sentOffsets());
  }
}
