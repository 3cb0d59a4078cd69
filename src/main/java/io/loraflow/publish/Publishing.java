package io.loraflow.publish;

import io.loraflow.ingest.PollLoop;
import io.loraflow.offsets.ConsumerOffsetSink;
import io.loraflow.offsets.OffsetSink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The publishing pair of one delivery guarantee: the {@link Publisher} of outcomes and the
 * {@link OffsetSink} of positions. At-least-once: a plain producer, positions committed by the
 * consumer. Exactly-once: one {@link TransactionalPublisher} is both.
 *
 * <p>Concurrency: event loop.
 */
public final class Publishing {
  private final Publisher publisher;
  private final Function<PollLoop, OffsetSink> sink;
  private final Future<Producer<byte[], byte[]>> producer;

  private Publishing(Publisher publisher, Function<PollLoop, OffsetSink> sink, Future<Producer<byte[], byte[]>> producer) {
    this.publisher = publisher;
    this.sink = sink;
    this.producer = producer;
  }

  /** At-least-once with a producer of {@code props}. */
  public static Publishing atLeastOnce(Vertx vertx, Map<String, Object> props) {
    Producer<byte[], byte[]> p = new KafkaProducer<>(props);
    return new Publishing(new ResultPublisher(vertx, p), ConsumerOffsetSink::new, Future.succeededFuture(p));
  }

  /**
   * Exactly-once with transactional producers of {@code props}; {@code reset} and {@code fatal}
   * as {@link TransactionalPublisher} takes them.
   */
  public static Publishing exactlyOnce(Vertx vertx, Map<String, Object> props, Consumer<Future<Void>> reset,
      Consumer<Throwable> fatal) {
    TransactionalPublisher t = new TransactionalPublisher(vertx, () -> new KafkaProducer<>(props), reset, fatal);
    return new Publishing(t, poll -> t, t.init().map(v -> t.producer()));
  }

  public Publisher publisher() {
    return publisher;
  }

  /** Makes the offset sink for the consumer's poll loop. */
  public Function<PollLoop, OffsetSink> sink() {
    return sink;
  }

  /**
   * Completes when the producer can send: its metrics are bound to {@code registry} and the
   * topics' metadata is fetched (on a worker: the producer is then called on the event loop and
   * must not block its first send on metadata).
   */
  public Future<Void> ready(Vertx vertx, MeterRegistry registry, String... topics) {
    return producer.compose(p -> {
      new KafkaClientMetrics(p).bindTo(registry);
      return vertx.executeBlocking(() -> {
        for (String topic : topics) {
          p.partitionsFor(topic);
        }
        return null;
      });
    });
  }
}
