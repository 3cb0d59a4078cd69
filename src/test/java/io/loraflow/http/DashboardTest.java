package io.loraflow.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the live dashboard in headless Chromium: classified images appear with their labels. */
class DashboardTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir
  Path tmp;

  @Test
  void classifiedImagesAppearWithLabels() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "Debian chromium is not installed (.ci/run installs it)");
    Vertx vertx = Vertx.vertx();
    try {
      List<Path> images = TestImages.write(tmp.resolve("images"), 4);
      Path model = OnnxModels.writePackage(tmp.resolve("model"), "dash", 32, 0);
      String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 1);
      ClassifierService service = deploy(vertx, in, model, Map.of());
      try (KafkaProducer<String, String> producer = producer()) {
        for (int i = 0; i < 4; i++) {
          producer.send(new ProducerRecord<>(in, "d" + i, new JsonObject().put("id", "dash-" + i)
              .put("image", images.get(i).toString()).encode()));
          producer.flush();
          Thread.sleep(300); // thumbnails are sampled at most every 250 ms
        }
      }
      long deadline = System.currentTimeMillis() + 30_000;
      while (service.metrics().results() < 4 && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(4, service.metrics().results());

      String url = "http://127.0.0.1:" + service.httpPort() + "/";
      String dom = chromium(List.of("--dump-dom", url));
      Matcher cards = Pattern.compile("<div class=\"card result\">.*?<div class=\"label\">(class_\\d+)</div>")
          .matcher(dom);
      List<String> labels = new ArrayList<>();
      while (cards.find()) {
        labels.add(cards.group(1));
      }
      assertTrue(labels.size() >= 2, "recent images with labels on the page: " + labels + "\n" + dom);
      assertTrue(dom.contains("dash-"), "image ids shown");
      assertTrue(dom.contains("data:image/png;base64,"), "thumbnails shown");

      Path shot = Path.of("target", "dashboard.png").toAbsolutePath();
      Files.deleteIfExists(shot);
      chromium(List.of("--screenshot=" + shot, "--window-size=1280,900", url));
      assertTrue(Files.size(shot) > 10_000, "screenshot saved at " + shot);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void underABacklogTheChartsAndTheLagShowIt() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "Debian chromium is not installed (.ci/run installs it)");
    Vertx vertx = Vertx.vertx();
    try {
      List<Path> images = TestImages.write(tmp.resolve("images"), 4);
      // A deep model, at most 4 events a run and 8 in flight: 20,000 events stay a backlog of
      // thousands for the seconds this test looks (a run drained ~250 events/s on a CI machine).
      Path slow = OnnxModels.writePackage(tmp.resolve("slow"), "slow", 1024, 600);
      String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 1);
      ClassifierService service = deploy(vertx, in, slow, Map.of(LoraflowConfig.MAX_BATCH_SIZE, "4",
          LoraflowConfig.MAX_IN_FLIGHT, "8", LoraflowConfig.SHUTDOWN_TIMEOUT_MS, "1000"));
      try (KafkaProducer<String, String> producer = producer()) {
        producer.send(new ProducerRecord<>(in, "missing", new JsonObject().put("id", "missing")
            .put("image", tmp.resolve("no-such.png").toString()).encode()));
        for (int i = 0; i < 20_000; i++) {
          producer.send(new ProducerRecord<>(in, "b" + i, new JsonObject().put("id", "backlog-" + i)
              .put("image", images.get(i % images.size()).toString()).encode()));
        }
        producer.flush();
      }
      long deadline = System.currentTimeMillis() + 30_000;
      while (service.metrics().results() < 8 && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      Thread.sleep(1_100); // a point of the series more

      String dom = chromium(List.of("--dump-dom", "http://127.0.0.1:" + service.httpPort() + "/"));
      Matcher lag = Pattern.compile("id=\"lag\">(\\d+)<").matcher(dom);
      assertTrue(lag.find(), "the lag tile has a number\n" + dom);
      long shown = Long.parseLong(lag.group(1));
      assertTrue(shown >= 5_000 && shown <= 20_001, "the lag shows the backlog (records read but waiting count): "
          + shown);
      Matcher lines = Pattern.compile("<polyline class=\"s\\d\" points=\"([^\"]*)\"").matcher(dom);
      int charts = 0;
      while (lines.find()) {
        charts++;
        assertTrue(lines.group(1).trim().split(" ").length >= 2, "a line has points: " + lines.group(1));
      }
      assertEquals(6, charts, "five charts, latency with two lines\n" + dom);
      assertTrue(dom.matches("(?s).*<td>FILE_NOT_FOUND</td><td>default</td><td>1</td>.*"),
          "the dead letter is in the table by reason and task\n" + dom);
    } finally {
      vertx.close().await();
    }
  }

  /** The service reading {@code in}, with the dashboard on a free port. */
  private ClassifierService deploy(Vertx vertx, String in, Path model, Map<String, String> extra) {
    Map<String, String> settings = TestSettings.base(in, TestBroker.createTopic(TestBroker.uniqueName("out"), 1),
        TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1), TestBroker.uniqueName("g"), model, tmp);
    settings.put(LoraflowConfig.HTTP_PORT, "0");
    settings.putAll(extra);
    ClassifierService service = new ClassifierService(LoraflowConfig.of(settings));
    vertx.deployVerticle(service).await();
    return service;
  }

  private static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  private String chromium(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + tmp.resolve("chrome"),
        "--virtual-time-budget=5000"));
    cmd.addAll(args);
    Process proc = new ProcessBuilder(cmd).redirectError(tmp.resolve("chrome.log").toFile()).start();
    byte[] out = proc.getInputStream().readAllBytes();
    assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "chromium finished");
    return new String(out, StandardCharsets.UTF_8);
  }
}
