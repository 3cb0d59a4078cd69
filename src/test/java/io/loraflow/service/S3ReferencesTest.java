package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.S3Store;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * s3:// references and bucket notifications through the real service, on the real broker, reading
 * from S3Proxy in the test JVM: every image is classified, every bad reference is one dead letter
 * with its reason, in front of the healthy events on a 1-partition topic, which never stalls.
 */
class S3ReferencesTest {
  private static final int HEALTHY = 120;
  private static final List<String> KEYS = List.of("cams/a cat 0.png", "ünï/猫 1.png",
      "plus+sign 2.jpg", "percent%20kept 3.png", "deep/er/path/4.png", "5.jpg");

  @TempDir
  Path tmp;

  @Test
  void s3ReferencesAndNotificationsAreClassifiedAndBadOnesDeadLettered() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), KEYS.size());
    byte[] big = new byte[300_000];
    new Random(7).nextBytes(big);
    try (S3Store store = S3Store.start().bucket("images").bucket("private")) {
      for (int i = 0; i < KEYS.size(); i++) {
        store.put("images", KEYS.get(i), Files.readAllBytes(images.get(i)));
      }
      store.put("images", "big.png", big);
      store.put("private", "a.png", Files.readAllBytes(images.get(0)));

      Map<String, String> bad = new LinkedHashMap<>();
      Map<String, String> reasons = new HashMap<>();
      bad.put("missing", request("missing", "s3://images/no such key.png"));
      reasons.put("missing", "FETCH_FAILED");
      bad.put("private", request("private", "s3://private/a.png"));
      reasons.put("private", "FORBIDDEN_TARGET");
      bad.put("big", request("big", "s3://images/big.png"));
      reasons.put("big", "TOO_LARGE");
      // A delete and S3's test event ask for nothing: no outcome, counted, offsets move on.
      Map<String, String> skipped = new LinkedHashMap<>();
      skipped.put("deleted", notification("s3:ObjectRemoved:Delete", "images", KEYS.get(0)).encode());
      skipped.put("test-event", new JsonObject().put("Service", "Amazon S3").put("Event", "s3:TestEvent")
          .put("Bucket", "images").encode());
      Map<String, String> healthy = new LinkedHashMap<>();
      for (int i = 0; i < HEALTHY; i++) {
        String key = KEYS.get(i % KEYS.size());
        healthy.put("ok-" + i, i % 2 == 0 ? request("ok-" + i, "s3://images/" + key)
            : notification("s3:ObjectCreated:Put", "images", key).encode());
      }

      List<Out> outs = run(store.endpoint(), bad, skipped, healthy, Map.of());
      Map<String, Out> byKey = new HashMap<>();
      for (Out o : outs) {
        assertNull(byKey.put(o.key(), o), "one outcome for " + o.key());
      }
      skipped.keySet().forEach(k -> assertNull(byKey.get(k), k + " has no outcome"));
      reasons.forEach((key, reason) -> {
        Out dead = byKey.get(key);
        assertEquals(reason, dead.headers().get("loraflow.error.reason"), key + ": " + dead.headers());
      });
      assertEquals("1", byKey.get("missing").headers().get("loraflow.error.attempts"),
          "a missing key is not retried");
      for (int i = 0; i < HEALTHY; i++) {
        Out ok = byKey.get("ok-" + i);
        assertTrue(ok.value().containsKey("labels"), ok.key() + ": " + ok.value().encode());
        String key = KEYS.get(i % KEYS.size());
        if (i % 2 == 1) {
          assertEquals("s3://images/" + key, ok.value().getString("id"),
              "a notification's id names the object, its key decoded exactly");
        }
      }
    }
  }

  /**
   * A store that answers 503 SlowDown to every request for a key starting "slow-down", never
   * answers one starting "stall", and passes the rest to S3Proxy (Host header kept, so the
   * signature still matches): each failing event is retried fetch.retries times, then dead-lettered,
   * and the healthy events behind it on the one partition are classified.
   */
  @Test
  void aFailingOrStallingStoreCostsItsRetriesThenADeadLetterAndNeverStallsThePartition()
      throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 3);
    Vertx proxyVertx = Vertx.vertx();
    try (S3Store store = S3Store.start().bucket("images")) {
      for (int i = 0; i < images.size(); i++) {
        store.put("images", i + ".png", Files.readAllBytes(images.get(i)));
      }
      HttpClient client = proxyVertx.createHttpClient();
      AtomicInteger slowDowns = new AtomicInteger();
      HttpServer faulty = proxyVertx.createHttpServer().requestHandler(req -> {
        if (req.path().startsWith("/images/slow-down")) {
          slowDowns.incrementAndGet();
          req.response().setStatusCode(503).putHeader("Content-Type", "application/xml")
              .end("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
        } else if (!req.path().startsWith("/images/stall")) {
          store.forward(client, req);
        }
      }).listen(0, "127.0.0.1").await();

      Map<String, String> bad = new LinkedHashMap<>();
      bad.put("slow-down", request("slow-down", "s3://images/slow-down.png"));
      bad.put("stall", request("stall", "s3://images/stall.png"));
      Map<String, String> healthy = new LinkedHashMap<>();
      for (int i = 0; i < 30; i++) {
        healthy.put("ok-" + i, request("ok-" + i, "s3://images/" + (i % images.size()) + ".png"));
      }
      List<Out> outs = run("http://127.0.0.1:" + faulty.actualPort(), bad, Map.of(), healthy, Map.of(
          LoraflowConfig.FETCH_CONNECT_TIMEOUT_MS, "500", LoraflowConfig.FETCH_TIMEOUT_MS, "500",
          LoraflowConfig.FETCH_RETRIES, "2", LoraflowConfig.FETCH_RETRY_BACKOFF_MS, "50"));
      Map<String, Out> byKey = new HashMap<>();
      outs.forEach(o -> byKey.put(o.key(), o));
      Map<String, String> slow = byKey.get("slow-down").headers();
      assertEquals("FETCH_FAILED", slow.get("loraflow.error.reason"), slow.toString());
      assertEquals("3", slow.get("loraflow.error.attempts"), "retried fetch.retries times, no more");
      assertEquals(3, slowDowns.get(), "the SDK adds no retries of its own");
      Map<String, String> stall = byKey.get("stall").headers();
      assertEquals("FETCH_TIMEOUT", stall.get("loraflow.error.reason"), stall.toString());
      assertEquals("3", stall.get("loraflow.error.attempts"));
      healthy.keySet().forEach(k -> assertTrue(byKey.get(k).value().containsKey("labels"), k));
    } finally {
      proxyVertx.close().await();
    }
  }

  /**
   * Sends {@code bad}, {@code skipped} and {@code healthy} in that order on one partition; returns
   * once every bad and healthy one has its outcome, the skipped ones are counted and the
   * committed offsets reach the end.
   */
  private List<Out> run(String endpoint, Map<String, String> bad, Map<String, String> skipped,
      Map<String, String> healthy, Map<String, String> extra) throws Exception {
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "s3", 32, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    Map<String, String> s = topics.settings(model, tmp);
    S3Store.configure(s, endpoint);
    s.put(LoraflowConfig.FETCH_MAX_BYTES, "200000");
    s.putAll(extra);
    Vertx vertx = Vertx.vertx();
    try {
      ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
      vertx.deployVerticle(service).await();
      for (Map<String, String> events : List.of(bad, skipped, healthy)) {
        TestBroker.send(topics.in(), events);
      }
      int expected = bad.size() + healthy.size();
      List<Out> outs = OutputCollector.collect(List.of(topics.out(), topics.dlq()),
          o -> o.size() >= expected, Duration.ofSeconds(90));
      assertEquals(expected, outs.size(), "one outcome per record");
      CommittedOffsets.assertAtEnd(topics.group(), topics.in());
      assertEquals(skipped.size(), service.metrics().skipped(), "skipped records counted");
      return outs;
    } finally {
      vertx.close().await();
    }
  }

  private static String request(String id, String image) {
    return new JsonObject().put("id", id).put("image", image).encode();
  }

  /** As MinIO sends it: the key URL-encoded, spaces as '+'. */
  private static JsonObject notification(String event, String bucket, String key) {
    return new JsonObject().put("Records", new JsonArray().add(new JsonObject()
        .put("eventVersion", "2.0").put("eventSource", "minio:s3").put("eventName", event)
        .put("s3", new JsonObject().put("bucket", new JsonObject().put("name", bucket))
            .put("object", new JsonObject()
                .put("key", URLEncoder.encode(key, StandardCharsets.UTF_8)).put("size", 1)))));
  }
}
