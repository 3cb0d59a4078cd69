package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ordering=partition vs none with a slow event at the head of a partition, and deadlines
 * (event.max.age.ms and a request's own deadline).
 */
class OrderingAndDeadlineTest {
  @TempDir
  Path tmp;
  Vertx vertx;
  HttpServer slow;
  List<Path> images;
  Path model;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    images = TestImages.write(tmp.resolve("img"), 3);
    model = OnnxModels.writePackage(tmp.resolve("model"), "order", 16, 0);
    byte[] png = Files.readAllBytes(images.get(0));
    // Answers after 1.5 s: the first event of the partition is the slowest.
    slow = vertx.createHttpServer().requestHandler(req -> vertx.setTimer(1500, id ->
        req.response().putHeader("content-type", "image/png").end(io.vertx.core.buffer.Buffer.buffer(png))))
        .listen(0, "127.0.0.1").await();
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private List<Out> run(String ordering, List<JsonObject> requests, Map<String, String> extra) {
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 1);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 1);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    Map<String, String> s = TestSettings.of(in, out, dlq, TestBroker.uniqueName("g"), model, tmp);
    s.put(LoraflowConfig.ORDERING, ordering);
    s.putAll(extra);
    String id = vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (JsonObject r : requests) {
        producer.send(new ProducerRecord<>(in, r.getString("id"), r.encode()));
      }
    }
    List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= requests.size(), Duration.ofMinutes(1));
    vertx.undeploy(id).await();
    return outs;
  }

  private List<JsonObject> slowFirst() {
    List<JsonObject> r = new ArrayList<>();
    r.add(new JsonObject().put("id", "e0").put("image", "http://127.0.0.1:" + slow.actualPort() + "/slow.png"));
    for (int i = 1; i < 10; i++) {
      r.add(new JsonObject().put("id", "e" + i).put("image", images.get(i % images.size()).toString()));
    }
    return r;
  }

  @Test
  void partitionOrderingPublishesInInputOrderDespiteASlowHead() {
    List<Out> outs = run("partition", slowFirst(), Map.of());
    assertEquals(List.of("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"),
        outs.stream().map(Out::key).toList());
  }

  @Test
  void noOrderingPublishesAsEventsFinish() {
    List<Out> outs = run("none", slowFirst(), Map.of());
    assertEquals(10, outs.size());
    assertEquals("e0", outs.get(9).key(), "the slow head finishes last: " + outs.stream().map(Out::key).toList());
  }

  @Test
  void expiredEventsAreDeadLetteredWithoutInference() {
    List<JsonObject> r = List.of(
        new JsonObject().put("id", "past").put("image", images.get(0).toString())
            .put("deadline", Instant.now().minusSeconds(5).toString()),
        new JsonObject().put("id", "future").put("image", images.get(1).toString())
            .put("deadline", Instant.now().plusSeconds(600).toString()),
        new JsonObject().put("id", "slow").put("image", "http://127.0.0.1:" + slow.actualPort() + "/slow.png")
            .put("deadline", Instant.now().plusMillis(700).toString()));
    List<Out> outs = run("none", r, Map.of());
    Map<String, Out> byId = new java.util.HashMap<>();
    outs.forEach(o -> byId.put(o.key(), o));
    assertEquals("EXPIRED", byId.get("past").value().getString("reason"));
    assertTrue(byId.get("future").value().containsKey("labels"));
    assertEquals("EXPIRED", byId.get("slow").value().getString("reason"), "expired while fetching, before inference");
  }
}
