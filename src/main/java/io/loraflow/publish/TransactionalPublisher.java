package io.loraflow.publish;

import io.loraflow.offsets.OffsetSink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processing.guarantee=exactly_once}: outcomes and the input positions they complete are
 * committed in one Kafka transaction (consume-transform-produce), so a {@code read_committed}
 * consumer sees each input's outcome once, whatever crashes in between.
 *
 * <p>Each commit: {@link #prepare()} holds new sends back and waits for the open transaction's
 * sends to be acknowledged; {@link #commit} adds the positions with the member's
 * {@link ConsumerGroupMetadata} (so a member the group has replaced — a zombie, or the old owner
 * in a cooperative hand-over — is fenced by its generation) and commits. Positions without any
 * send still get a transaction of their own, so an idle partition's position reaches the end.
 *
 * <h2>Failures</h2>
 * A failed send or commit aborts the transaction: its outcomes never become visible, so the work
 * is thrown away and read again from the committed positions ({@code reset}, given a future that
 * completes when the producer can take sends again). A producer that cannot abort (fenced by a
 * newer epoch, after a freeze longer than {@code transaction.timeout.ms}) is closed and made
 * anew; only when that fails is the fault fatal.
 *
 * <p>A member that lost its partitions (a zombie after a freeze) aborts the open transaction: it
 * may hold their outcomes, and once the consumer has rejoined, its new generation would let the
 * commit through. A commit queued before the loss checks for the abort on the consumer's thread.
 *
 * <p>Concurrency: event loop; the blocking transaction calls run on a worker thread while sends
 * are held back.
 */
public final class TransactionalPublisher implements Publisher, OffsetSink {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalPublisher.class);

  private final Vertx vertx;
  private final Context context;
  private final Supplier<Producer<byte[], byte[]>> factory;
  private final Consumer<Future<Void>> reset;
  private final Consumer<Throwable> fatal;
  private final Acks acks;
  /** Replaced on a worker only while {@link #recovering}; read on the event loop otherwise. */
  private volatile Producer<byte[], byte[]> producer;

  // Event loop only.
  private final ArrayDeque<Runnable> held = new ArrayDeque<>();
  private boolean inTransaction;
  private boolean preparing;
  private boolean recovering;
  private boolean closed;
  /**
   * Bumped by each abort: acknowledgements of an older transaction only fail their sends, and a
   * commit prepared or queued before an abort commits nothing. Written on the event loop only;
   * also read on the consumer's thread, where a queued commit runs.
   */
  private volatile int generation;
  /** The generation {@link #prepare()} waited in. */
  private int preparedGeneration;
  private int outstanding;
  private Promise<Void> drained;
  private long aborts;

  /**
   * {@code factory} makes a producer with the same {@code transactional.id}; {@code reset} is
   * called after an abort (see above); {@code fatal} when no producer can be made.
   */
  public TransactionalPublisher(Vertx vertx, Supplier<Producer<byte[], byte[]>> factory,
      Consumer<Future<Void>> reset, Consumer<Throwable> fatal) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.factory = factory;
    this.reset = reset;
    this.fatal = fatal;
    this.acks = new Acks(context);
  }

  /** Makes the producer and registers its transactional id, fencing a previous incarnation. */
  public Future<Void> init() {
    return vertx.executeBlocking(() -> {
      producer = factory.get();
      producer.initTransactions();
      return null;
    });
  }

  /** The current producer, for its metrics. */
  public Producer<byte[], byte[]> producer() {
    return producer;
  }

  /** Transactions aborted since start. */
  public long aborts() {
    return aborts;
  }

  @Override
  public Future<Void> send(ProducerRecord<byte[], byte[]> record, BooleanSupplier wanted) {
    if (recovering || closed) {
      return Future.failedFuture(new Abandoned("transaction aborted"));
    }
    if (preparing) {
      Promise<Void> later = Promise.promise();
      held.add(() -> send(record, wanted).onComplete(later));
      return later.future();
    }
    if (!wanted.getAsBoolean()) {
      return Future.failedFuture(new Abandoned("its partition was handed over or its work thrown away"));
    }
    Promise<Void> promise = Promise.promise();
    int gen = generation;
    try {
      if (!inTransaction) {
        producer.beginTransaction(); // local state change, does not block
        inTransaction = true;
      }
      outstanding++;
      producer.send(record, (meta, err) -> acks.add(e -> acknowledged(gen, promise, e), err));
    } catch (RuntimeException e) {
      outstanding--;
      promise.fail(new Abandoned("send refused: " + e));
      abort(e);
    }
    return promise.future();
  }

  private void acknowledged(int gen, Promise<Void> promise, Exception err) {
    if (gen != generation) {
      promise.tryFail(new Abandoned("transaction aborted"));
      return;
    }
    outstanding--;
    if (err != null) {
      promise.tryFail(new Abandoned("send failed in a transaction: " + err));
      abort(err);
      return;
    }
    promise.complete();
    if (preparing && outstanding == 0 && drained != null) {
      // Let the completions of this turn run first: they mark their offsets done.
      context.runOnContext(v -> drained.tryComplete());
    }
  }

  @Override
  public Future<Void> prepare() {
    preparing = true;
    preparedGeneration = generation;
    drained = Promise.promise();
    if (outstanding == 0 || recovering) {
      context.runOnContext(v -> drained.tryComplete());
    }
    return drained.future();
  }

  @Override
  public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets, Member member) {
    boolean aborted = recovering || generation != preparedGeneration;
    if (aborted || closed || (!inTransaction && offsets.isEmpty())) {
      // Aborted while the commit waited: the positions were computed for work thrown away.
      release();
      return aborted ? Future.failedFuture(new Abandoned("transaction aborted")) : Future.succeededFuture();
    }
    boolean begin = !inTransaction;
    inTransaction = true;
    Producer<byte[], byte[]> p = producer;
    int gen = generation;
    return member.<Void>call(group -> {
      if (generation != gen) {
        // Aborted (partitions lost) after this commit was queued: none of it may commit.
        throw new Abandoned("transaction aborted");
      }
      if (group.generationId() < 0) {
        // Not a member right now (fell out of the group): the coordinator would accept the
        // positions without a generation to check, so a zombie's transaction would commit.
        throw new CommitFailedException("not a member of the group now (generation " + group.generationId() + ")");
      }
      if (begin) {
        p.beginTransaction();
      }
      if (!offsets.isEmpty()) {
        p.sendOffsetsToTransaction(offsets, group);
      }
      p.commitTransaction();
      return null;
    }).transform(ar -> {
      if (generation != gen) {
        // Aborted meanwhile: the abort reset this state, and sends may have begun a newer
        // transaction since, which must not be touched.
        return Future.failedFuture(new Abandoned("transaction aborted"));
      }
      inTransaction = false;
      if (ar.failed()) {
        abort(ar.cause());
      }
      release();
      return ar.succeeded() ? Future.succeededFuture() : Future.failedFuture(ar.cause());
    });
  }

  @Override
  public boolean transactional() {
    return true;
  }

  @Override
  public void lost() {
    if (inTransaction || outstanding > 0) {
      abort(new CommitFailedException("partitions lost: the open transaction may hold their outcomes"));
    }
  }

  private void release() {
    preparing = false;
    while (!preparing && !held.isEmpty()) {
      held.poll().run();
    }
  }

  /** Aborts the open transaction (or replaces a producer that cannot), then resets the ingest. */
  private void abort(Throwable cause) {
    if (recovering || closed) {
      return;
    }
    recovering = true;
    aborts++;
    generation++;
    outstanding = 0;
    inTransaction = false;
    if (drained != null) {
      // A commit waiting for this transaction's sends would wait forever: it ends now (and
      // fails: the generation moved), so the commits queued behind it go on.
      Promise<Void> waiting = drained;
      context.runOnContext(v -> waiting.tryComplete());
    }
    LOG.warn("event=transaction_aborted error={} action=\"rewind to the committed positions\"", cause.toString());
    Producer<byte[], byte[]> old = producer;
    Future<Void> ready = vertx.<Void>executeBlocking(() -> {
      try {
        old.abortTransaction();
      } catch (KafkaException | IllegalStateException e) {
        // Fenced (a newer epoch took over) or in a fatal state: only a new producer can go on.
        LOG.warn("event=producer_replaced error={}", e.toString());
        old.close(Duration.ZERO);
        Producer<byte[], byte[]> fresh = factory.get();
        fresh.initTransactions();
        producer = fresh;
      }
      return null;
    }).andThen(ar -> {
      recovering = false;
      if (ar.failed()) {
        LOG.error("event=producer_unrecoverable error={}", ar.cause().toString());
        fatal.accept(ar.cause());
      } else {
        LOG.warn("event=transaction_recovered aborts={}", aborts);
      }
      release();
    });
    reset.accept(ready);
  }

  @Override
  public Future<Void> close() {
    closed = true;
    Producer<byte[], byte[]> p = producer;
    return p == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      p.close(Duration.ofSeconds(10));
      return null;
    });
  }
}
