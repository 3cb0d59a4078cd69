package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.Schemas;
import io.loraflow.testkit.TestBroker;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Validator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The result cache on the real broker with the bundled two-task package: duplicates are answered
 * from the cache with the same labels and scores, another task is not, and the bound evicts.
 */
class ResultCacheServiceTest {
  private static final Path MODEL = Path.of("models/fashion-mnist");
  private static final Path SAMPLES = MODEL.resolve("samples").toAbsolutePath();
  private static final Validator RESULT_SCHEMA = Schemas.validator("classification-result.schema.json");
  private final Vertx vertx = Vertx.vertx();
  private final PrometheusMeterRegistry registry = ServiceMetrics.newRegistry();
  private final List<Out> seen = new ArrayList<>();
  private TestBroker.Pipeline pipe;

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private void start(Map<String, String> cache) {
    pipe = TestBroker.pipeline(1);
    Map<String, String> s = pipe.settings(MODEL, SAMPLES);
    s.put(LoraflowConfig.CACHE_ENABLED, "true");
    s.putAll(cache);
    vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s), registry)).await();
  }

  /** Sends the requests, then waits for their results (all outcomes so far are kept in order). */
  private List<JsonObject> classify(JsonObject... requests) {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (JsonObject r : requests) {
        producer.send(new ProducerRecord<>(pipe.in(), r.getString("id"), r.encode()));
      }
    }
    int expected = seen.size() + requests.length;
    List<Out> all = OutputCollector.collect(List.of(pipe.out(), pipe.dlq()), o -> o.size() >= expected,
        Duration.ofSeconds(60));
    assertEquals(expected, all.size(), "outcomes: " + all);
    List<JsonObject> fresh = new ArrayList<>();
    for (Out o : all.subList(seen.size(), all.size())) {
      assertEquals(pipe.out(), o.topic(), o.value().encode());
      assertNull(Schemas.errors(RESULT_SCHEMA, o.value()));
      fresh.add(o.value());
    }
    seen.clear();
    seen.addAll(all);
    return fresh;
  }

  private static JsonObject request(String id, String sample, String task) {
    JsonObject r = new JsonObject().put("id", id).put("image", SAMPLES.resolve(sample).toString());
    return task == null ? r : r.put("task", task);
  }

  @Test
  void duplicatesAreServedFromTheCacheAndAnotherTaskIsNot() {
    start(Map.of());
    JsonObject first = classify(request("a0", "0001.png", null)).get(0);
    assertNull(first.getValue("cached"), first.encode());
    assertEquals(1, first.getInteger("batchSize"));
    JsonObject[] again = new JsonObject[10];
    for (int i = 0; i < again.length; i++) {
      again[i] = request("a" + (i + 1), "0001.png", null);
    }
    List<JsonObject> repeats = classify(again);
    assertEquals(10, repeats.size());
    for (JsonObject r : repeats) {
      assertEquals(true, r.getValue("cached"), r.encode());
      assertFalse(r.containsKey("batchSize"), r.encode());
      assertEquals(first.getJsonArray("labels"), r.getJsonArray("labels"));
      assertEquals(first.getJsonArray("scores"), r.getJsonArray("scores"));
      assertEquals("fashion", r.getJsonObject("model").getString("task"));
    }
    // The same bytes for the digits task: computed by its adapter, then cached for it alone.
    JsonObject digits = classify(request("d0", "0001.png", "digits")).get(0);
    assertNull(digits.getValue("cached"), digits.encode());
    assertNotEquals(first.getJsonArray("labels"), digits.getJsonArray("labels"));
    assertEquals(true, classify(request("d1", "0001.png", "digits")).get(0).getValue("cached"));
    // Another top-k is another answer.
    JsonObject top3 = classify(request("k3", "0001.png", null).put("topK", 3)).get(0);
    assertNull(top3.getValue("cached"), top3.encode());
    assertEquals(3, top3.getJsonArray("labels").size());
    String scrape = registry.scrape();
    assertTrue(scrape.contains("loraflow_cache_lookups_total{result=\"hit\"} 11.0"), scrape);
    assertTrue(scrape.contains("loraflow_cache_lookups_total{result=\"miss\"} 3.0"), scrape);
    assertTrue(scrape.contains("loraflow_cache_hit_ratio 0.785"), scrape);
  }

  @Test
  void boundAndTtlEvict() throws InterruptedException {
    start(Map.of(LoraflowConfig.CACHE_MAX_ENTRIES, "1", LoraflowConfig.CACHE_TTL_MS, "4000"));
    classify(request("a", "0001.png", null));
    classify(request("b", "0002.png", null)); // evicts a
    JsonObject a = classify(request("a2", "0001.png", null)).get(0);
    assertNull(a.getValue("cached"), "0001.png was evicted by 0002.png: " + a.encode());
    assertEquals(true, classify(request("a3", "0001.png", null)).get(0).getValue("cached"));
    Thread.sleep(4100);
    JsonObject late = classify(request("a4", "0001.png", null)).get(0);
    assertNull(late.getValue("cached"), "past the TTL: " + late.encode());
    String scrape = registry.scrape();
    assertTrue(scrape.contains("loraflow_cache_evictions_total{reason=\"size\"} 2.0"), scrape);
    assertTrue(scrape.contains("loraflow_cache_evictions_total{reason=\"expired\"} 1.0"), scrape);
  }
}
