package io.loraflow.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.broker.Topics;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One poisoned record per pipeline stage, each followed by {@link #HEALTHY_AFTER_EACH} healthy
 * events, all on one 1-partition topic and one service run: each poisoned record gets exactly one
 * dead letter with its stage's reason, every healthy event a result, and the committed offset
 * reaches the log end. The stages:
 * <ul>
 *   <li>parse: malformed JSON ({@code INVALID_EVENT});
 *   <li>fetch: an HTTP 500 on every attempt, retried {@code fetch.retries} times ({@code
 *       FETCH_FAILED}, 3 attempts, 3 requests seen by the server), and a missing file ({@code
 *       FILE_NOT_FOUND});
 *   <li>decode: a record carrying PNG bytes that are corrupt after the signature ({@code
 *       DECODE_FAILED});
 *   <li>batch: an image served slower than the event's deadline, so it expires after its fetch and
 *       decode, at the batcher's door ({@code EXPIRED});
 *   <li>inference: an all-white image that the model itself fails on at run time ({@link
 *       OnnxModels#writeWhiteFailsPackage}); the batch holding it fails and is bisected, so only
 *       it is dead-lettered ({@code INFERENCE_FAILED});
 *   <li>publish: a dead letter the DLQ topic refuses ({@code max.message.bytes} below the
 *       record's size): sent again without its value, never retried forever.
 * </ul>
 */
class PoisonedStagesTest {
  static final int HEALTHY_AFTER_EACH = 40;
  static final int DLQ_MAX_MESSAGE_BYTES = 4096;
  static final long SLOW_MS = 2_500;

  @TempDir
  static Path tmp;

  static Vertx vertx;
  static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  static Map<String, Out> byKey;
  static int healthy;
  static byte[] bigMalformed;

  @BeforeAll
  static void runOnce() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 4);
    Path white = tmp.resolve("img").resolve("white.png");
    BufferedImage w = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    var g = w.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 40, 30);
    g.dispose();
    ImageIO.write(w, "png", white.toFile());
    byte[] slowBody = Files.readAllBytes(images.get(0));

    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      requests.computeIfAbsent(req.path(), k -> new AtomicInteger()).incrementAndGet();
      if (req.path().equals("/broken.png")) {
        req.response().setStatusCode(500).end("boom");
      } else if (req.path().equals("/slow.png")) {
        vertx.setTimer(SLOW_MS, id -> req.response().putHeader("content-type", "image/png")
            .end(Buffer.buffer(slowBody)));
      } else {
        req.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1").await();
    String base = "http://127.0.0.1:" + server.actualPort();

    Path model = OnnxModels.writeWhiteFailsPackage(tmp.resolve("model"), "white-fails");
    String in = TestBroker.createTopic(TestBroker.uniqueName("poison-in"), 1);
    String out = TestBroker.createTopic(TestBroker.uniqueName("poison-out"), 1);
    String dlq = TestBroker.uniqueName("poison-dlq");
    Topics.createAndAwait(TestBroker.admin(), List.of(new NewTopic(dlq, 1, (short) 1)
        .configs(Map.of("max.message.bytes", Integer.toString(DLQ_MAX_MESSAGE_BYTES)))));
    String group = TestBroker.uniqueName("poison-g");
    Map<String, String> s = new TestBroker.Pipeline(in, out, dlq, group).settings(model, tmp);
    s.put(LoraflowConfig.FETCH_RETRIES, "2");
    s.put(LoraflowConfig.FETCH_RETRY_BACKOFF_MS, "20");
    s.put(LoraflowConfig.MAX_BATCH_SIZE, "16");

    byte[] corruptPng = new byte[600];
    System.arraycopy(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, 0, corruptPng, 0, 8);
    for (int i = 8; i < corruptPng.length; i++) {
      corruptPng[i] = (byte) (i * 31);
    }
    RecordHeaders png = new RecordHeaders();
    png.add("content-type", "image/png".getBytes(StandardCharsets.UTF_8));
    bigMalformed = ("{\"id\": \"big-malformed\", \"image\": \"" + "x".repeat(8_000)).getBytes(StandardCharsets.UTF_8);

    List<ProducerRecord<byte[], byte[]>> poisoned = new ArrayList<>();
    poisoned.add(record("parse", "{\"id\": \"parse\", \"image\": ".getBytes(StandardCharsets.UTF_8), null));
    poisoned.add(record("fetch-500", request("fetch-500", base + "/broken.png"), null));
    poisoned.add(record("fetch-missing", request("fetch-missing", tmp.resolve("img/missing.png").toString()), null));
    poisoned.add(record("decode", corruptPng, png));
    poisoned.add(null); // batch: its deadline is set when it is sent
    poisoned.add(record("inference", request("inference", white.toString()), null));
    poisoned.add(record("publish-dlq-refuses", bigMalformed, null));

    vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        TestBroker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> p : poisoned) {
        if (p == null) {
          JsonObject batch = new JsonObject().put("id", "batch").put("image", base + "/slow.png")
              .put("deadline", OffsetDateTime.now(ZoneOffset.UTC).plusNanos(SLOW_MS * 1_000_000 / 2).toString());
          p = record("batch", batch.encode().getBytes(StandardCharsets.UTF_8), null);
        }
        producer.send(new ProducerRecord<>(in, null, null, p.key(), p.value(), p.headers())).get();
        for (int i = 0; i < HEALTHY_AFTER_EACH; i++) {
          String id = "ok-" + healthy++;
          producer.send(new ProducerRecord<>(in, id.getBytes(StandardCharsets.UTF_8),
              request(id, images.get(healthy % images.size()).toString())));
        }
      }
    }
    int expected = poisoned.size() + healthy;
    // Until every record has an outcome, then 2 s more to catch any second outcome.
    List<Out> outs = OutputCollector.collectSettled(List.of(out, dlq), expected, Duration.ofSeconds(2),
        Duration.ofSeconds(90));
    CommittedOffsets.assertAtEnd(group, in);
    Map<String, List<Out>> grouped = outs.stream().collect(Collectors.groupingBy(Out::key));
    Map<String, Integer> repeated = new HashMap<>();
    grouped.forEach((k, v) -> {
      if (v.size() > 1) {
        repeated.put(k, v.size());
      }
    });
    assertEquals(Map.of(), repeated, "keys with more than one outcome");
    assertEquals(expected, outs.size(), "one outcome per record");
    byKey = grouped.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get(0)));
  }

  @AfterAll
  static void close() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  void everyHealthyEventBehindThePoisonedOnesGetsAResult() {
    for (int i = 0; i < healthy; i++) {
      Out o = byKey.get("ok-" + i);
      assertNotNull(o, "ok-" + i + " has an outcome");
      assertTrue(o.value().containsKey("labels"), "ok-" + i + " is classified, not " + o.value());
    }
  }

  @Test
  void parse() {
    assertDeadLetter("parse", "INVALID_EVENT", "ingest");
  }

  @Test
  void fetchHttp500IsRetriedThenDeadLettered() {
    Out o = assertDeadLetter("fetch-500", "FETCH_FAILED", "fetch");
    assertEquals("3", o.headers().get("loraflow.error.attempts"), "1 attempt + fetch.retries=2");
    assertEquals(3, requests.get("/broken.png").get(), "the server saw every attempt");
  }

  @Test
  void fetchMissingFile() {
    assertDeadLetter("fetch-missing", "FILE_NOT_FOUND", "fetch");
  }

  @Test
  void decodeCorruptPng() {
    Out o = assertDeadLetter("decode", "DECODE_FAILED", "decode");
    assertEquals(600, o.raw().length, "the original bytes, unchanged");
  }

  @Test
  void batchDeadlinePassedWhileTheImageWasFetched() {
    assertDeadLetter("batch", "EXPIRED", "batch");
    assertEquals(1, requests.get("/slow.png").get(), "expired after its fetch, not before");
  }

  @Test
  void inferenceFailsForOneImageOnlyOfItsBatch() {
    Out o = assertDeadLetter("inference", "INFERENCE_FAILED", "inference");
    assertTrue(o.headers().get("loraflow.error.message").contains("out of data bounds"),
        "the model's own error: " + o.headers().get("loraflow.error.message"));
  }

  @Test
  void publishDeadLetterRefusedByTheDlqTopicIsSentWithoutItsValue() {
    Out o = assertDeadLetter("publish-dlq-refuses", "INVALID_EVENT", "ingest");
    assertNull(o.raw(), "the value is left out");
    assertEquals(Integer.toString(bigMalformed.length), o.headers().get("loraflow.error.value.omitted.bytes"));
  }

  private static Out assertDeadLetter(String key, String reason, String stage) {
    Out o = byKey.get(key);
    assertNotNull(o, key + " has an outcome");
    assertEquals(reason, o.headers().get("loraflow.error.reason"), key + ": " + o.headers());
    assertEquals(stage, o.headers().get("loraflow.error.stage"), key + ": " + o.headers());
    assertEquals(key, o.key(), "the original key is kept");
    return o;
  }

  private static ProducerRecord<byte[], byte[]> record(String key, byte[] value, RecordHeaders headers) {
    return new ProducerRecord<>("", null, null, key.getBytes(StandardCharsets.UTF_8), value, headers);
  }

  private static byte[] request(String id, String image) {
    return new JsonObject().put("id", id).put("image", image).encode().getBytes(StandardCharsets.UTF_8);
  }
}
