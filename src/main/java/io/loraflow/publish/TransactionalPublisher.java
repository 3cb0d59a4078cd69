package io.loraflow.publish;

import io.loraflow.offsets.OffsetSink;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processing.guarantee=exactly_once}: outcomes and the input positions they complete are
 * committed in one Kafka transaction (consume-transform-produce), so a {@code read_committed}
 * consumer sees each input's outcome once, whatever crashes in between.
 *
 * <p>Each commit interval: {@link #prepare()} holds new sends back and waits for the open
 * transaction's sends to be acknowledged; {@link #commit} adds the positions
 * ({@code sendOffsetsToTransaction}) and commits; held sends then start the next transaction.
 * A failed send or commit is fatal: the transaction's outcomes are gone while their events were
 * counted as done, so the service must stop and resume from the last committed transaction.
 *
 * <p>Known limitation: offsets are sent with the group id only (no member generation), so a
 * zombie instance is fenced by its {@code transactional.id}, not by the group.
 *
 * <p>Concurrency: event loop; the blocking transaction calls run on a worker thread.
 */
public final class TransactionalPublisher implements Publisher, OffsetSink {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalPublisher.class);

  private final Vertx vertx;
  private final KafkaProducer<Buffer, Buffer> producer;
  private final Producer<Buffer, Buffer> raw;
  private final String groupId;
  private final Consumer<Throwable> fatal;

  // Event loop only.
  private final ArrayDeque<Runnable> held = new ArrayDeque<>();
  private boolean inTransaction;
  private boolean preparing;
  private boolean failed;
  private int outstanding;
  private Promise<Void> drained;

  public TransactionalPublisher(Vertx vertx, KafkaProducer<Buffer, Buffer> producer, String groupId,
      Consumer<Throwable> fatal) {
    this.vertx = vertx;
    this.producer = producer;
    this.raw = producer.unwrap();
    this.groupId = groupId;
    this.fatal = fatal;
  }

  /** Registers the transactional id, fencing off a previous incarnation with the same id. */
  public Future<Void> init() {
    return vertx.executeBlocking(() -> {
      raw.initTransactions();
      return null;
    });
  }

  @Override
  public Future<Void> send(KafkaProducerRecord<Buffer, Buffer> record) {
    if (failed) {
      return Future.failedFuture(new IllegalStateException("transactional publisher failed"));
    }
    if (preparing) {
      Promise<Void> later = Promise.promise();
      held.add(() -> send(record).onComplete(later));
      return later.future();
    }
    if (!inTransaction) {
      raw.beginTransaction(); // local state change, does not block
      inTransaction = true;
    }
    outstanding++;
    return producer.send(record).<Void>mapEmpty().onComplete(ar -> {
      outstanding--;
      if (ar.failed()) {
        fail(ar.cause());
      }
      if (preparing && outstanding == 0) {
        // Let the completions of this turn run first: they mark their offsets done.
        vertx.runOnContext(v -> drained.tryComplete());
      }
    });
  }

  @Override
  public Future<Void> prepare() {
    preparing = true;
    drained = Promise.promise();
    if (outstanding == 0) {
      vertx.runOnContext(v -> drained.tryComplete());
    }
    return drained.future();
  }

  @Override
  public Future<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!inTransaction || failed) {
      release();
      return Future.succeededFuture();
    }
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> native_ =
        new HashMap<>();
    offsets.forEach((tp, om) -> native_.put(new org.apache.kafka.common.TopicPartition(tp.getTopic(),
        tp.getPartition()), new org.apache.kafka.clients.consumer.OffsetAndMetadata(om.getOffset(), om.getMetadata())));
    return vertx.<Void>executeBlocking(() -> {
      if (!native_.isEmpty()) {
        raw.sendOffsetsToTransaction(native_, new ConsumerGroupMetadata(groupId));
      }
      raw.commitTransaction();
      return null;
    }).onComplete(ar -> {
      inTransaction = false;
      if (ar.failed()) {
        fail(ar.cause());
      }
      release();
    });
  }

  private void release() {
    preparing = false;
    while (!preparing && !held.isEmpty()) {
      held.poll().run();
    }
  }

  private void fail(Throwable e) {
    if (!failed) {
      failed = true;
      LOG.error("event=transaction_failed error={} action=stopping", e.toString());
      fatal.accept(e);
    }
  }

  @Override
  public Future<Void> close() {
    return producer.close();
  }
}
