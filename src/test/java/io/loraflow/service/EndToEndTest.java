package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.Schemas;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Validator;
import java.nio.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on the real broker: image references of every kind in, results (or dead
 * letters) out, offsets committed to the end.
 */
class EndToEndTest {
  static final Path BUNDLED = Path.of("models/fashion-mnist");
  static final Path TEST_IMAGES = Path.of("src/test/resources/images");

  static Vertx vertx;
  static HttpServer http;
  static List<Path> images;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    vertx = Vertx.vertx();
    images = new ArrayList<>();
    try (Stream<Path> s = Files.list(BUNDLED.resolve("samples"))) {
      s.filter(p -> p.toString().endsWith(".png")).sorted().limit(200).forEach(images::add);
    }
    if (Files.isDirectory(TEST_IMAGES)) {
      try (Stream<Path> s = Files.list(TEST_IMAGES)) {
        s.filter(p -> p.toString().matches(".*/(photo|rgb|grey|palette|alpha)[^/]*\\.(jpg|png)")).sorted()
            .forEach(images::add);
      }
    }
    http = vertx.createHttpServer().requestHandler(req -> {
      String path = req.path();
      if (path.startsWith("/img/")) {
        Path file = images.get(Integer.parseInt(path.substring(5)));
        req.response().putHeader("content-type", "image/" + (file.toString().endsWith(".png") ? "png" : "jpeg"))
            .sendFile(file.toString());
      } else if (path.equals("/text")) {
        req.response().putHeader("content-type", "text/html").end("<html>not an image</html>");
      } else {
        req.response().setStatusCode(404).end("no such image");
      }
    }).listen(0, "127.0.0.1").await();
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  static Map<String, String> settings(String in, String out, String dlq, String group, Path model) {
    return TestSettings.of(in, out, dlq, group, model, BUNDLED, TEST_IMAGES, tmp);
  }

  static String reference(int i, Path file) throws Exception {
    return switch (i % 4) {
      case 0 -> file.toAbsolutePath().toUri().toString();
      case 1 -> file.toAbsolutePath().toString();
      case 2 -> "data:image/" + (file.toString().endsWith(".png") ? "png" : "jpeg") + ";base64,"
          + Base64.getEncoder().encodeToString(Files.readAllBytes(file));
      default -> "http://127.0.0.1:" + http.actualPort() + "/img/" + images.indexOf(file);
    };
  }

  static void produce(String topic, List<String[]> keyAndValue) {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("acks", "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (String[] kv : keyAndValue) {
        producer.send(new ProducerRecord<>(topic, kv[0].getBytes(StandardCharsets.UTF_8),
            kv[1].getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }

  /** Top-1 label of each image, from the ONNX model run directly (batch 1), not via the service. */
  static Map<Path, String> expectedLabels(Path modelDir) throws Exception {
    ModelPackage model = ModelPackage.load(modelDir);
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    Map<Path, String> out = new HashMap<>();
    try (InferenceSession session = InferenceSession.open(model, "cpu", 1)) {
      for (Path image : images) {
        DecodedImage img = decoder.decode(Files.readAllBytes(image));
        Buffer buf = session.allocate(1);
        pre.writeTo(img, buf, 0);
        float[] logits = session.run(buf, 1)[0];
        out.put(image, TopK.of(logits, model.outputIsLogits(), model.labels(), 1).labels().get(0));
      }
    }
    return out;
  }

  @Test
  void thousandMixedReferencesEachGetTheDirectModelsLabel() throws Exception {
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 3);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 3);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    String group = TestBroker.uniqueName("group");
    ClassifierService service = new ClassifierService(LoraflowConfig.of(settings(in, out, dlq, group, BUNDLED)));
    vertx.deployVerticle(service).await();

    Map<String, Path> sent = new HashMap<>();
    List<String[]> records = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Path image = images.get(i % images.size());
      String id = "e2e-" + i;
      sent.put(id, image);
      records.add(new String[] {id, new JsonObject().put("id", id).put("image", reference(i, image))
          .put("attributes", new JsonObject().put("n", i)).encode()});
    }
    produce(in, records);

    List<Out> results = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 1000, Duration.ofMinutes(3));
    List<Out> dead = results.stream().filter(o -> o.topic().equals(dlq)).toList();
    assertEquals(List.of(), dead.stream().map(o -> o.value().encode()).toList(), "no dead letters expected");
    assertEquals(1000, results.size());
    Set<String> ids = results.stream().map(o -> o.value().getString("id")).collect(Collectors.toSet());
    assertEquals(sent.keySet(), ids, "one result per event, ids matching");

    Map<Path, String> expected = expectedLabels(BUNDLED);
    Validator schema = Schemas.validator("classification-result.schema.json");
    for (Out o : results) {
      String id = o.value().getString("id");
      assertNull(Schemas.errors(schema, o.value()));
      assertEquals(id, o.key(), "results are keyed like their input");
      assertEquals(expected.get(sent.get(id)), o.value().getJsonArray("labels").getString(0),
          "label of " + sent.get(id) + " (" + id + ")");
      assertEquals(Integer.parseInt(id.substring(4)), o.value().getJsonObject("attributes").getInteger("n"));
    }
    CommittedOffsets.assertAtEnd(group, in);
    vertx.undeploy(vertx.deploymentIDs().iterator().next()).await();
  }

  @Test
  void badEventsBecomeDistinctDeadLettersAndGoodNeighboursStillGetResults() throws Exception {
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 1);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 1);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    String group = TestBroker.uniqueName("group");
    vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(settings(in, out, dlq, group, BUNDLED)))).await();
    Path good = images.get(0);
    String base = "http://127.0.0.1:" + http.actualPort();
    Map<String, String> bad = Map.of(
        "missing-file", new JsonObject().put("id", "missing-file")
            .put("image", tmp.resolve("no-such-image.png").toAbsolutePath().toString()).encode(),
        "http-404", new JsonObject().put("id", "http-404").put("image", base + "/nothing.png").encode(),
        "not-an-image", new JsonObject().put("id", "not-an-image").put("image", base + "/text").encode(),
        "malformed", "{\"id\": \"malformed\", \"image\": ");
    List<String[]> records = new ArrayList<>();
    int n = 0;
    for (var e : bad.entrySet()) {
      records.add(new String[] {"good-" + n, new JsonObject().put("id", "good-" + n).put("image", good.toAbsolutePath().toString()).encode()});
      n++;
      records.add(new String[] {e.getKey(), e.getValue()});
    }
    records.add(new String[] {"good-" + n, new JsonObject().put("id", "good-" + n).put("image", good.toAbsolutePath().toString()).encode()});
    produce(in, records);

    List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 9, Duration.ofMinutes(1));
    Map<String, Out> deadByKey = outs.stream().filter(o -> o.topic().equals(dlq))
        .collect(Collectors.toMap(Out::key, o -> o));
    assertEquals(bad.keySet(), deadByKey.keySet());
    Validator schema = Schemas.validator("dead-letter.schema.json");
    Set<String> reasons = new HashSet<>();
    for (Out d : deadByKey.values()) {
      JsonObject errorHeaders = new JsonObject();
      d.headers().forEach((k, v) -> {
        if (k.startsWith("loraflow.error.")) {
          errorHeaders.put(k, v);
        }
      });
      assertNull(Schemas.errors(schema, errorHeaders));
      assertEquals(in, d.headers().get("loraflow.error.source.topic"));
      assertEquals(bad.get(d.key()), new String(d.raw(), java.nio.charset.StandardCharsets.UTF_8),
          "the dead letter's value is the original value, unchanged");
      reasons.add(d.value().getString("reason"));
    }
    assertEquals(4, reasons.size(), "distinct reasons: " + deadByKey.values().stream()
        .map(d -> d.key() + "=" + d.value().getString("reason")).toList());
    assertEquals("INVALID_EVENT", deadByKey.get("malformed").value().getString("reason"));

    assertEquals(5, outs.stream().filter(o -> o.topic().equals(out)).count(), "good events around them");
    CommittedOffsets.assertAtEnd(group, in);
  }

  @Test
  void inFlightNeverExceedsTheLimitAndLongPausesCauseNoRebalance() throws Exception {
    Path slow = OnnxModels.writePackage(tmp.resolve("slow"), "slow", 1024, 600);
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 3);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 3);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    String group = TestBroker.uniqueName("group");
    Map<String, String> s = settings(in, out, dlq, group, slow);
    s.put(LoraflowConfig.MAX_IN_FLIGHT, "32");
    s.put(LoraflowConfig.MAX_BATCH_SIZE, "4");
    s.put("kafka.consumer.max.poll.interval.ms", "1000");
    s.put("kafka.consumer.max.poll.records", "500");
    ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
    vertx.deployVerticle(service).await();
    List<String[]> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      records.add(new String[] {"slow-" + i, new JsonObject().put("id", "slow-" + i)
          .put("image", images.get(i % images.size()).toAbsolutePath().toString()).encode()});
    }
    produce(in, records);
    List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 200, Duration.ofMinutes(3));
    assertEquals(200, outs.size());
    assertEquals(200, outs.stream().map(o -> o.value().getString("id")).distinct().count(), "no duplicates");
    assertTrue(service.peakInFlight() <= 32, "peak in flight " + service.peakInFlight());
    assertEquals(32, service.peakInFlight(), "the limit was reached, so the test means something");
    assertTrue(service.ingest().longestPauseMs() > 1000,
        "partitions stayed paused longer than max.poll.interval.ms: " + service.ingest().longestPauseMs() + " ms");
    assertEquals(0, service.ingest().revocations(), "no rebalance while paused");
    assertEquals(1, service.ingest().assignments());
    CommittedOffsets.assertAtEnd(group, in);
  }
}
