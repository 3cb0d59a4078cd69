package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One backbone, many LoRA tasks routed per event, on the real broker. */
class MultiTaskTest {
  @TempDir
  Path tmp;
  Vertx vertx;
  List<Path> images;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    images = TestImages.write(tmp.resolve("img"), 6);
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private ClassifierService start(Path model, String in, String out, String dlq, Map<String, String> extra) {
    Map<String, String> s = TestSettings.of(in, out, dlq, TestBroker.uniqueName("g"), model, tmp);
    s.putAll(extra);
    ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
    vertx.deployVerticle(service).await();
    return service;
  }

  private void send(String in, List<JsonObject> requests) {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (JsonObject r : requests) {
        producer.send(new ProducerRecord<>(in, r.getString("id"), r.encode()));
      }
    }
  }

  /** Scores of each image from a merged package, run directly. */
  private Map<Path, float[]> direct(Path pkg) throws Exception {
    ModelPackage model = ModelPackage.load(pkg);
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    Map<Path, float[]> out = new HashMap<>();
    try (InferenceSession s = InferenceSession.open(model, "cpu", 1)) {
      for (Path img : images) {
        Buffer buf = s.allocate(1);
        pre.writeTo(new ImageDecoder(1_000_000).decode(Files.readAllBytes(img)), buf, 0);
        out.put(img, s.run(buf, 1)[0]);
      }
    }
    return out;
  }

  @Test
  void interleavedTasksMatchTheirMergedModels() throws Exception {
    Path merged = tmp.resolve("other-merged");
    Path pkg = OnnxModels.writeMultiTaskPackage(tmp.resolve("multi"), merged, 32, 5);
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 2);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 2);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    // One resident adapter at a time: alternating tasks also exercise eviction and reloading.
    start(pkg, in, out, dlq, Map.of(LoraflowConfig.ADAPTERS_MAX_RESIDENT, "1"));
    List<JsonObject> requests = new java.util.ArrayList<>();
    for (int i = 0; i < 120; i++) {
      JsonObject r = new JsonObject().put("id", "m" + i).put("image", images.get(i % images.size()).toString())
          .put("topK", 5);
      if (i % 2 == 1) {
        r.put("task", "other");
      }
      requests.add(r);
    }
    send(in, requests);
    List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 120, Duration.ofMinutes(2));
    assertEquals(120, outs.size());
    Map<Path, float[]> base = direct(pkg);
    Map<Path, float[]> other = direct(merged);
    ModelPackage otherModel = ModelPackage.load(merged);
    ModelPackage baseModel = ModelPackage.load(pkg);
    for (Out o : outs) {
      assertEquals(out, o.topic(), o.value().encode());
      int i = Integer.parseInt(o.key().substring(1));
      Path img = images.get(i % images.size());
      boolean isOther = i % 2 == 1;
      TopK.Prediction expected = isOther
          ? TopK.of(other.get(img), true, otherModel.labels(), 5)
          : TopK.of(base.get(img), true, baseModel.labels(), 5);
      assertEquals(isOther ? "other" : "default", o.value().getJsonObject("model").getString("task"));
      assertEquals(expected.labels(), o.value().getJsonArray("labels").getList());
      for (int k = 0; k < 5; k++) {
        assertEquals(expected.scores().get(k), o.value().getJsonArray("scores").getDouble(k), 1e-4);
      }
    }
  }

  @Test
  void taskHotLoadedFromTheFolderIsServedThenUnloadedWithoutLoss() throws Exception {
    Path pkg = OnnxModels.writeMultiTaskPackage(tmp.resolve("multi"), tmp.resolve("merged"), 32, 5);
    Path adapters = Files.createDirectories(tmp.resolve("adapters"));
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 2);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 2);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    String token = "admin-token-" + System.nanoTime();
    ClassifierService service = start(pkg, in, out, dlq, Map.of(LoraflowConfig.ADAPTERS_DIR, adapters.toString(),
        LoraflowConfig.ADAPTERS_SCAN_INTERVAL_MS, "100", LoraflowConfig.HTTP_ADMIN_TOKEN, token));
    send(in, batch("before", 10, "hot"));
    assertEquals(10, OutputCollector.collect(List.of(dlq), o -> o.size() >= 10, Duration.ofMinutes(1)).size());

    OnnxModels.writeLabels(adapters.resolve("hot.labels.txt"), "hot_", 3);
    OnnxModels.writeAdapter(adapters.resolve("hot.onnx_adapter"), 32, 3, OnnxModels.randomHead(32, 3, 11));
    await(() -> service.tasks().isKnown("hot"));
    send(in, batch("during", 40, "hot"));
    await(() -> service.metrics().results() >= 40);
    Files.delete(adapters.resolve("hot.onnx_adapter"));
    await(() -> !service.tasks().isKnown("hot"));
    send(in, batch("after", 10, "hot"));

    List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 60, Duration.ofMinutes(2));
    assertEquals(60, outs.size(), "every event has an outcome");
    for (Out o : outs) {
      if (o.key().startsWith("during")) {
        assertEquals(out, o.topic(), o.value().encode());
        assertTrue(o.value().getJsonArray("labels").getString(0).startsWith("hot_"));
      } else {
        assertEquals(dlq, o.topic());
        assertEquals("UNKNOWN_TASK", o.value().getString("reason"));
      }
    }

    // The admin API loads and unloads too, with the admin token only.
    WebClient web = WebClient.create(vertx);
    Files.copy(pkg.resolve("adapters/other.onnx_adapter"), adapters.resolve("copy.bin"));
    JsonObject load = new JsonObject().put("adapter", adapters.resolve("copy.bin").toString())
        .put("labels", pkg.resolve("adapters/other.labels.txt").toString());
    assertEquals(401, web.put(service.httpPort(), "127.0.0.1", "/admin/tasks/viaapi").sendJsonObject(load)
        .await().statusCode());
    assertEquals(401, web.put(service.httpPort(), "127.0.0.1", "/admin/tasks/viaapi").bearerTokenAuthentication(
        token + "x").sendJsonObject(load).await().statusCode());
    assertEquals(401, web.get(service.httpPort(), "127.0.0.1", "/admin/tasks").send().await().statusCode());
    assertEquals(200, web.put(service.httpPort(), "127.0.0.1", "/admin/tasks/viaapi").bearerTokenAuthentication(token)
        .sendJsonObject(load).await().statusCode());
    JsonObject classified = web.post(service.httpPort(), "127.0.0.1", "/v1/classify")
        .sendJsonObject(new JsonObject().put("image", images.get(0).toString()).put("task", "viaapi"))
        .await().bodyAsJsonObject();
    assertTrue(classified.getJsonArray("labels").getString(0).startsWith("other_"), classified.encode());
    assertEquals(200, web.delete(service.httpPort(), "127.0.0.1", "/admin/tasks/viaapi").bearerTokenAuthentication(token)
        .send().await().statusCode());
    assertEquals(400, web.post(service.httpPort(), "127.0.0.1", "/v1/classify")
        .sendJsonObject(new JsonObject().put("image", images.get(0).toString()).put("task", "viaapi"))
        .await().statusCode());
    assertEquals(403, web.put(service.httpPort(), "127.0.0.1", "/admin/tasks/evil").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("adapter", "/etc/passwd").put("labels", "/etc/hosts"))
        .await().statusCode());
  }

  private List<JsonObject> batch(String prefix, int n, String task) {
    List<JsonObject> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new JsonObject().put("id", prefix + i).put("image", images.get(i % images.size()).toString())
          .put("task", task));
    }
    return out;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, "condition not met in 30 s");
      Thread.sleep(50);
    }
  }
}
