package io.loraflow.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records that Kafka allows but a service may trip on, each in front of 300 healthy events on a
 * 1-partition topic: each gets exactly one outcome and none stops the events behind it.
 */
class OddRecordsTest {
  static final int HEALTHY = 300;
  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @TempDir
  Path tmp;

  @Test
  void oddRecordsGetOneOutcomeAndNeverStallTheirPartition() throws Exception {
    List<ProducerRecord<byte[], byte[]>> odd = new ArrayList<>();
    List<Path> images = TestImages.write(tmp.resolve("img"), 3);
    String good = request("null-header", images.get(0));
    RecordHeaders nullHeader = new RecordHeaders();
    nullHeader.add("trace", null);
    nullHeader.add("id", null);
    odd.add(new ProducerRecord<>("", null, null, "null-header".getBytes(StandardCharsets.UTF_8),
        good.getBytes(StandardCharsets.UTF_8), nullHeader));
    // Trace context goes on to the result; other headers (content-type: JSON) do not.
    RecordHeaders traced = new RecordHeaders();
    traced.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
    traced.add("tracestate", "vendor=abc".getBytes(StandardCharsets.UTF_8));
    traced.add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
    odd.add(new ProducerRecord<>("", null, null, "traced".getBytes(StandardCharsets.UTF_8),
        request("traced", images.get(0)).getBytes(StandardCharsets.UTF_8), traced));
    byte[] noise = new byte[900_000];
    new Random(7).nextBytes(noise);
    RecordHeaders png = new RecordHeaders();
    png.add("content-type", "image/png".getBytes(StandardCharsets.UTF_8));
    png.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
    odd.add(new ProducerRecord<>("", null, null, "random-900k".getBytes(StandardCharsets.UTF_8), noise, png));
    odd.add(new ProducerRecord<>("", null, null, "null-value".getBytes(StandardCharsets.UTF_8), (byte[]) null));
    odd.add(new ProducerRecord<>("", null, null, null, request("null-key", images.get(1)).getBytes(StandardCharsets.UTF_8)));
    odd.add(new ProducerRecord<>("", null, 0L, "epoch-timestamp".getBytes(StandardCharsets.UTF_8),
        request("epoch-timestamp", images.get(2)).getBytes(StandardCharsets.UTF_8)));
    // Brokers refuse timestamps more than message.timestamp.after.max.ms (1 h) ahead.
    odd.add(new ProducerRecord<>("", null, System.currentTimeMillis() + 50 * 60_000L, "far-future".getBytes(StandardCharsets.UTF_8),
        request("far-future", images.get(2)).getBytes(StandardCharsets.UTF_8)));
    List<Out> outs = run(odd, images, s -> s.put(LoraflowConfig.EVENT_MAX_AGE_MS, "600000"));

    Map<String, Out> byKey = new java.util.HashMap<>();
    int nullKeys = 0;
    for (Out o : outs) {
      if (o.key() == null) {
        nullKeys++;
      } else {
        assertNull(byKey.put(o.key(), o), "one outcome for " + o.key());
      }
    }
    assertEquals(1, nullKeys, "the null-key record has one outcome");
    assertTrue(byKey.get("null-header").value().containsKey("labels"), "a null header value is still classified");
    Out tracedOut = byKey.get("traced");
    assertTrue(tracedOut.value().containsKey("labels"), tracedOut.value().encode());
    assertEquals(Map.of("traceparent", TRACEPARENT, "tracestate", "vendor=abc"), tracedOut.headers(),
        "the result carries the trace context, and only that");
    Out noiseOut = byKey.get("random-900k");
    assertNotNull(noiseOut.headers().get("loraflow.error.reason"));
    assertEquals(TRACEPARENT, noiseOut.headers().get("traceparent"), "a dead letter keeps every header");
    assertEquals(noise.length, noiseOut.raw().length, "the dead letter carries the original bytes, not a larger form");
    assertEquals("INVALID_EVENT", byKey.get("null-value").value().getString("reason"));
    assertTrue(byKey.get("epoch-timestamp").value().getString("reason").equals("EXPIRED"),
        "a record stamped 1970 is past event.max.age.ms");
    assertTrue(byKey.get("far-future").value().containsKey("labels"), "a timestamp from the future does not break the deadline");
  }

  @Test
  void anOutcomeOverTheProducerLimitBecomesADeadLetterWithoutItsValue() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    JsonObject big = new JsonObject().put("id", "big").put("image", images.get(0).toString())
        .put("attributes", new JsonObject().put("blob", "x".repeat(60_000)));
    List<ProducerRecord<byte[], byte[]>> odd = List.of(new ProducerRecord<>("", null, null,
        "big".getBytes(StandardCharsets.UTF_8), big.encode().getBytes(StandardCharsets.UTF_8)));
    List<Out> outs = run(odd, images, s -> s.put("kafka.producer.max.request.size", "50000"));
    Out dead = outs.stream().filter(o -> "big".equals(o.key())).findFirst().orElseThrow();
    assertEquals("PUBLISH_FAILED", dead.headers().get("loraflow.error.reason"));
    assertNull(dead.raw(), "the value is left out to fit");
    assertEquals(Integer.toString(big.encode().length()), dead.headers().get("loraflow.error.value.omitted.bytes"));
  }

  /** Sends {@code odd} then {@link #HEALTHY} good events; returns every outcome, checked complete. */
  private List<Out> run(List<ProducerRecord<byte[], byte[]>> odd, List<Path> images,
      Consumer<Map<String, String>> tune) throws Exception {
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "odd", 32, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    String in = topics.in();
    String out = topics.out();
    String dlq = topics.dlq();
    String group = topics.group();
    Map<String, String> s = topics.settings(model, tmp);
    tune.accept(s);
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (ProducerRecord<byte[], byte[]> r : odd) {
          producer.send(new ProducerRecord<>(in, null, r.timestamp(), r.key(), r.value(), r.headers())).get();
        }
        for (int i = 0; i < HEALTHY; i++) {
          producer.send(new ProducerRecord<>(in, ("ok-" + i).getBytes(StandardCharsets.UTF_8),
              request("ok-" + i, images.get(i % images.size())).getBytes(StandardCharsets.UTF_8)));
        }
      }
      int expected = odd.size() + HEALTHY;
      List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= expected, Duration.ofSeconds(60));
      assertEquals(expected, outs.size(), "one outcome per record, the healthy ones behind the odd ones included");
      CommittedOffsets.assertAtEnd(group, in);
      return outs;
    } finally {
      vertx.close().await();
    }
  }

  private static String request(String id, Path image) {
    return new JsonObject().put("id", id).put("image", image.toAbsolutePath().toString()).encode();
  }
}
