package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.S3Store;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Promise;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * S3 notifications with several records through the real service, on the real broker, reading
 * from S3Proxy: each ObjectCreated record has its own outcome, other events are counted, and the
 * input record's offset is committed only once all its outcomes are acknowledged — checked while
 * one of its images is held back by a proxy in front of the store, under both guarantees; in a
 * share group, accepted only then.
 */
class S3NotificationRecordsTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"at_least_once", "exactly_once", "share"})
  void eachRecordHasItsOutcomeAndTheOffsetWaitsForAllOfThem(String mode) throws Exception {
    boolean share = mode.equals("share");
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    Vertx proxyVertx = Vertx.vertx();
    Promise<Void> hold = Promise.promise();
    try (S3Store store = S3Store.start().bucket("images")) {
      store.put("images", "a.png", Files.readAllBytes(images.get(0)));
      store.put("images", "b c+ü.png", Files.readAllBytes(images.get(1)));
      store.put("images", "held.png", Files.readAllBytes(images.get(1)));
      HttpServer front = holdingProxy(proxyVertx, store, "/images/held", hold);

      List<JsonObject> tooMany = new ArrayList<>();
      for (int i = 0; i <= 100; i++) {
        tooMany.add(record("s3:ObjectCreated:Put", "a.png"));
      }
      List<String> values = List.of(
          notification(record("s3:ObjectCreated:Put", "a.png"), record("s3:ObjectCreated:Put", "b c+ü.png"),
              record("s3:ObjectRemoved:Delete", "a.png"), record("s3:ObjectCreated:Put", "missing.png")),
          notification(tooMany.toArray(JsonObject[]::new)),
          notification(record("s3:ObjectCreated:Copy", "a.png"), record("s3:ObjectCreated:Put", "held.png")),
          new JsonObject().put("id", "after").put("image", "s3://images/a.png").encode());

      Path model = OnnxModels.writePackage(tmp.resolve("model"), "s3n", 32, 0);
      TestBroker.Pipeline topics = TestBroker.pipeline(1);
      Map<String, String> s = topics.settings(model, tmp);
      S3Store.configure(s, "http://127.0.0.1:" + front.actualPort());
      s.put(LoraflowConfig.FETCH_TIMEOUT_MS, "60000");
      s.put(LoraflowConfig.COMMIT_INTERVAL_MS, "50");
      if (share) {
        s.keySet().removeIf(k -> k.startsWith("kafka.consumer.")); // a share consumer refuses them
        s.put(LoraflowConfig.GROUP_TYPE, "share");
        s.put(LoraflowConfig.ORDERING, "none");
      } else {
        s.put(LoraflowConfig.PROCESSING_GUARANTEE, mode);
      }
      Vertx vertx = Vertx.vertx();
      try {
        ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
        vertx.deployVerticle(service).await();
        Map<String, String> records = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
          records.put("r" + i, values.get(i));
        }
        TestBroker.send(topics.in(), records);
        // r0: two results and a dead letter; r1: one dead letter. r2 waits for its held image.
        OutputCollector.collect(List.of(topics.out(), topics.dlq()),
            o -> o.stream().filter(x -> x.key().equals("r0") || x.key().equals("r1")).count() >= 4,
            Duration.ofSeconds(60));
        Thread.sleep(1_500); // commits every 50 ms: time enough to commit what must not be
        assertEquals(1, service.metrics().skipped(), "the delete is counted");
        if (share) {
          assertTrue(accepted(service) <= 3, "r2 is not accepted while one of its images is held");
        } else {
          assertEquals(2, committed(topics), "r0 and r1 are done; r2 is not while one of its images is held");
        }
        List<Out> during = OutputCollector.collect(List.of(topics.out(), topics.dlq()), o -> false,
            Duration.ofSeconds(4)); // long enough to join and read all that is there
        assertEquals(List.of("r0", "r0", "r0", "r1"), during.stream().map(Out::key)
            .filter(k -> !k.equals("r3")).sorted().toList(), // r3 may be done (share: ordering=none)
            "r2's first result is not published before its second is ready");

        proxyVertx.runOnContext(v -> hold.complete());
        List<Out> outs = OutputCollector.collect(List.of(topics.out(), topics.dlq()), o -> o.size() >= 7,
            Duration.ofSeconds(60));
        if (share) {
          long deadline = System.nanoTime() + 10_000_000_000L;
          while (accepted(service) < 4 && System.nanoTime() < deadline) {
            Thread.sleep(50);
          }
          assertEquals(4, accepted(service), "every record accepted once all its outcomes are");
        } else {
          CommittedOffsets.assertAtEnd(topics.group(), topics.in());
        }
        assertEquals(7, outs.size(), outs.toString());
        List<String> r0 = new ArrayList<>();
        for (Out o : outs) {
          if (o.key().equals("r0") && o.topic().equals(topics.out())) {
            r0.add(o.value().getString("id"));
          }
        }
        assertEquals(List.of("s3://images/a.png", "s3://images/b c+ü.png"), r0,
            "one result per created object, in the notification's order, ids naming the objects");
        Out missing = outs.stream().filter(o -> o.key().equals("r0") && o.topic().equals(topics.dlq()))
            .findFirst().orElseThrow();
        assertEquals("FETCH_FAILED", missing.headers().get("loraflow.error.reason"), missing.headers().toString());
        assertEquals("s3://images/missing.png", missing.headers().get("loraflow.error.id"));
        Out capped = outs.stream().filter(o -> o.key().equals("r1")).findFirst().orElseThrow();
        assertEquals("INVALID_EVENT", capped.headers().get("loraflow.error.reason"));
        assertTrue(capped.headers().get("loraflow.error.message").contains("101 records, more than 100"),
            capped.headers().toString());
        List<String> r2 = outs.stream().filter(o -> o.key().equals("r2"))
            .map(o -> o.value().getString("id")).toList();
        assertEquals(List.of("s3://images/a.png", "s3://images/held.png"), r2);
        if (!share) {
          assertEquals(List.of("r0", "r0", "r2", "r2", "r3"), outs.stream()
              .filter(o -> o.topic().equals(topics.out())).map(Out::key).toList(),
              "ordering=partition: results in input order, r3's behind r2's");
        }
      } finally {
        vertx.close().await();
      }
    } finally {
      proxyVertx.close().await();
    }
  }

  private static double accepted(ClassifierService service) {
    return service.metrics().registry().get("loraflow.share.records.accepted").functionCounter().count();
  }

  private static long committed(TestBroker.Pipeline topics) throws Exception {
    OffsetAndMetadata c = TestBroker.admin().listConsumerGroupOffsets(topics.group())
        .partitionsToOffsetAndMetadata().get().get(new TopicPartition(topics.in(), 0));
    return c == null ? 0 : c.offset();
  }

  /** Passes every request to {@code store}, those whose path starts with {@code held} once {@code hold} completes. */
  private static HttpServer holdingProxy(Vertx vertx, S3Store store, String held, Promise<Void> hold) {
    HttpClient client = vertx.createHttpClient();
    return vertx.createHttpServer().requestHandler(req -> {
      if (req.path().startsWith(held)) {
        hold.future().onComplete(v -> store.forward(client, req));
      } else {
        store.forward(client, req);
      }
    }).listen(0, "127.0.0.1").await();
  }

  private static String notification(JsonObject... records) {
    return new JsonObject().put("Records", new JsonArray(List.of((Object[]) records))).encode();
  }

  /** As MinIO sends it: the key URL-encoded, spaces as '+'. */
  private static JsonObject record(String event, String key) {
    return new JsonObject().put("eventVersion", "2.0").put("eventSource", "minio:s3").put("eventName", event)
        .put("s3", new JsonObject().put("bucket", new JsonObject().put("name", "images"))
            .put("object", new JsonObject().put("key", URLEncoder.encode(key, StandardCharsets.UTF_8)).put("size", 1)));
  }
}
