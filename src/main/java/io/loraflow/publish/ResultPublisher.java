package io.loraflow.publish;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends result and dead-letter records and completes only when the broker acknowledged them.
 *
 * <p>A send that fails (broker down past {@code delivery.timeout.ms}, say) is retried with capped
 * exponential backoff until it succeeds or the publisher closes: an outcome is never dropped, and
 * its input offset is not committed before it lands.
 *
 * <p>Concurrency: event loop only.
 */
public final class ResultPublisher implements Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(ResultPublisher.class);
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  private final Vertx vertx;
  private final KafkaProducer<Buffer, Buffer> producer;
  private boolean closed;
  private int failingSends;

  public ResultPublisher(Vertx vertx, KafkaProducer<Buffer, Buffer> producer) {
    this.vertx = vertx;
    this.producer = producer;
  }

  /** Completes when {@code record} is acknowledged; fails only if the publisher was closed. */
  @Override
  public Future<Void> send(KafkaProducerRecord<Buffer, Buffer> record) {
    Promise<Void> promise = Promise.promise();
    attempt(record, promise, MIN_BACKOFF_MS);
    return promise.future();
  }

  private void attempt(KafkaProducerRecord<Buffer, Buffer> record, Promise<Void> promise, long backoffMs) {
    if (closed) {
      promise.fail(new IllegalStateException("publisher closed before " + record.topic() + " was sent"));
      return;
    }
    producer.send(record).onComplete(ar -> {
      if (ar.succeeded()) {
        if (failingSends > 0 && --failingSends == 0) {
          LOG.info("event=publish_recovered topic={}", record.topic());
        }
        promise.complete();
        return;
      }
      if (backoffMs == MIN_BACKOFF_MS && failingSends++ == 0) {
        LOG.warn("event=publish_failed topic={} error={} action=retrying", record.topic(), ar.cause().toString());
      }
      vertx.setTimer(backoffMs, id -> attempt(record, promise, Math.min(MAX_BACKOFF_MS, backoffMs * 2)));
    });
  }

  @Override
  public Future<Void> close() {
    closed = true;
    return producer.flush().eventually(producer::close);
  }
}
