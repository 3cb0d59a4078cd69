package io.loraflow.publish;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends result and dead-letter records (at-least-once) and completes only when the broker
 * acknowledged them.
 *
 * <p>The producer is idempotent and retries by itself, in order, for {@code delivery.timeout.ms};
 * a send that still fails with a retriable error (a long broker outage) is sent again with capped
 * backoff until it lands or the publisher closes, so an outcome is never dropped. An error that
 * retrying cannot fix (record too large, authorization, unknown topic config) fails the send at
 * once: the caller turns it into a dead letter.
 *
 * <p>Concurrency: event loop only; the producer's callbacks come back through {@code context}.
 */
public final class ResultPublisher implements Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(ResultPublisher.class);
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  private final Vertx vertx;
  private final Context context;
  private final Producer<byte[], byte[]> producer;
  private final Acks acks;
  private boolean closed;
  private int failingSends;

  public ResultPublisher(Vertx vertx, Producer<byte[], byte[]> producer) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.producer = producer;
    this.acks = new Acks(context);
  }

  @Override
  public Future<Void> send(ProducerRecord<byte[], byte[]> record, BooleanSupplier wanted) {
    Promise<Void> promise = Promise.promise();
    attempt(record, wanted, promise, MIN_BACKOFF_MS);
    return promise.future();
  }

  private void attempt(ProducerRecord<byte[], byte[]> record, BooleanSupplier wanted, Promise<Void> promise,
      long backoffMs) {
    if (closed) {
      promise.fail(new Abandoned("publisher closed before " + record.topic() + " was sent"));
      return;
    }
    if (!wanted.getAsBoolean()) {
      promise.fail(new Abandoned("its partition was handed over"));
      return;
    }
    try {
      producer.send(record, (meta, err) -> acks.add(e -> onAck(record, wanted, promise, backoffMs, e), err));
    } catch (RuntimeException e) {
      onAck(record, wanted, promise, backoffMs, e);
    }
  }

  private void onAck(ProducerRecord<byte[], byte[]> record, BooleanSupplier wanted, Promise<Void> promise,
      long backoffMs, Exception err) {
    if (err == null) {
      if (failingSends > 0 && --failingSends == 0) {
        LOG.warn("event=publish_recovered topic={}", record.topic());
      }
      promise.complete();
      return;
    }
    if (!(err instanceof RetriableException)) {
      promise.fail(err);
      return;
    }
    if (backoffMs == MIN_BACKOFF_MS && failingSends++ == 0) {
      LOG.warn("event=publish_failing topic={} error={} action=retrying", record.topic(), err.toString());
    }
    vertx.setTimer(backoffMs, id -> attempt(record, wanted, promise, Math.min(MAX_BACKOFF_MS, backoffMs * 2)));
  }

  @Override
  public Future<Void> close() {
    closed = true;
    return vertx.executeBlocking(() -> {
      producer.flush();
      producer.close(Duration.ofSeconds(10));
      return null;
    });
  }
}
