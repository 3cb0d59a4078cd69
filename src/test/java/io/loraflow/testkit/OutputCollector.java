package io.loraflow.testkit;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what the service produced with a plain Kafka consumer (not the service's own client),
 * until a condition holds or a timeout passes.
 */
public final class OutputCollector {
  private OutputCollector() {
  }

  /** One produced record: its topic, key, JSON value and headers. */
  public record Out(String topic, String key, JsonObject value, Map<String, String> headers, byte[] raw) {
  }

  /**
   * Reads until at least {@code expected} records arrived, then for {@code settle} more, so that a
   * second outcome of any input shows up; gives up after {@code timeout}.
   */
  public static List<Out> collectSettled(List<String> topics, int expected, Duration settle, Duration timeout) {
    long[] until = {Long.MAX_VALUE};
    return collect(topics, o -> {
      if (o.size() >= expected && until[0] == Long.MAX_VALUE) {
        until[0] = System.nanoTime() + settle.toNanos();
      }
      return System.nanoTime() > until[0];
    }, timeout);
  }

  public static List<Out> collect(List<String> topics, Predicate<List<Out>> done, Duration timeout) {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("group.id", "collector-" + UUID.randomUUID());
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    List<Out> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(topics);
      while (!done.test(out) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          Map<String, String> headers = new HashMap<>();
          for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
          }
          out.add(new Out(r.topic(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
              DeadLetters.isDeadLetter(r) ? DeadLetters.view(r) : new JsonObject(new String(r.value(), StandardCharsets.UTF_8)),
              headers, r.value()));
        }
      }
    }
    return out;
  }
}
