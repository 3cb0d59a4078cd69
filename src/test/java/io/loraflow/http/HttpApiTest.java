package io.loraflow.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.BuildInfo;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.Schemas;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP surface of a running service: classify, health, metrics. */
class HttpApiTest {
  @TempDir
  static Path tmp;
  static Vertx vertx;
  static WebClient client;
  static ClassifierService service;
  static List<Path> images;
  static String in;
  static String out;
  static String dlq;
  static final String CLIENT_ID = "passthrough-" + System.nanoTime();
  /** An image host on 127.0.0.1: /500 answers 500, /404 answers 404, /stall never answers. */
  static HttpServer upstream;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    upstream = imageHost(vertx);
    images = TestImages.write(tmp.resolve("images"), 6);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "http-test", 64, 0);
    in = TestBroker.createTopic(TestBroker.uniqueName("in"), 2);
    out = TestBroker.createTopic(TestBroker.uniqueName("out"), 1);
    dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    Map<String, String> s = TestSettings.of(in, out, dlq, TestBroker.uniqueName("g"), model, tmp);
    s.put("kafka.consumer.client.id", CLIENT_ID); // pass-through: must reach the real consumer
    // Upstream faults answer at once: no retries, a short read timeout for the stalling host.
    s.put(LoraflowConfig.FETCH_RETRIES, "0");
    s.put(LoraflowConfig.FETCH_TIMEOUT_MS, "500");
    service = new ClassifierService(LoraflowConfig.of(s));
    vertx.deployVerticle(service).await();
    // As an orchestrator would: traffic once the readiness probe says so (the group join ends
    // after start-up).
    long deadline = System.currentTimeMillis() + 60_000;
    while (client.get(service.httpPort(), "127.0.0.1", "/health/ready").send().await().statusCode() != 200) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("never ready");
      }
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private HttpResponse<Buffer> get(String path) {
    return client.get(service.httpPort(), "127.0.0.1", path).send().await();
  }

  @Test
  void classifyAnswersLikeTheKafkaPath() throws Exception {
    Path image = images.get(0);
    JsonObject viaJson = client.post(service.httpPort(), "127.0.0.1", "/v1/classify")
        .sendJsonObject(new JsonObject().put("id", "h1").put("image", image.toString()).put("topK", 3))
        .await().bodyAsJsonObject();
    HttpResponse<Buffer> raw = client.post(service.httpPort(), "127.0.0.1", "/v1/classify")
        .putHeader("content-type", "image/png").sendBuffer(Buffer.buffer(Files.readAllBytes(image))).await();
    assertEquals(200, raw.statusCode(), raw.bodyAsString());

    try (KafkaProducer<String, String> p = producer()) {
      p.send(new ProducerRecord<>(in, "k1", new JsonObject().put("id", "k1").put("image", image.toString())
          .put("topK", 3).encode())).get();
    }
    List<Out> outs = OutputCollector.collect(List.of(out), o -> o.stream().anyMatch(x -> "k1".equals(x.key())),
        Duration.ofSeconds(60));
    JsonObject viaKafka = outs.stream().filter(o -> "k1".equals(o.key())).findFirst().orElseThrow().value();

    assertEquals(viaKafka.getJsonArray("labels"), viaJson.getJsonArray("labels"));
    assertEquals(viaKafka.getJsonArray("scores"), viaJson.getJsonArray("scores"));
    assertEquals(viaKafka.getJsonArray("labels").getString(0), raw.bodyAsJsonObject().getJsonArray("labels").getString(0));
    JsonObject build = new JsonObject().put("version", BuildInfo.current().version())
        .put("commit", BuildInfo.current().commit());
    assertEquals(build, viaKafka.getJsonObject("service"));
    assertEquals(build, viaJson.getJsonObject("service"));
    JsonObject noSource = viaJson.copy();
    noSource.put("source", new JsonObject().put("topic", "http").put("partition", 0).put("offset", 0));
    assertNull(Schemas.errors(Schemas.validator("classification-result.schema.json"), noSource));
  }

  @Test
  void errorsAreProblemDetailsWithTheReason() {
    assertProblem(classify(new JsonObject().put("image", "/etc/passwd")), 403, "FORBIDDEN_TARGET");
    assertProblem(client.post(service.httpPort(), "127.0.0.1", "/v1/classify")
        .sendBuffer(Buffer.buffer("{not json")).await(), 400, "INVALID_EVENT");
    assertProblem(classify(new JsonObject().put("image", "ftp://example.com/a.png")), 400, "UNSUPPORTED_SCHEME");
    assertProblem(get("/no/such/page"), 404, "HTTP_404");
  }

  @Test
  void upstreamFaultsAreGatewayErrors() {
    String host = "http://127.0.0.1:" + upstream.actualPort();
    // The image host failing is a bad gateway; not answering in time a gateway timeout.
    assertProblem(classify(new JsonObject().put("image", host + "/500")), 502, "FETCH_FAILED");
    assertProblem(classify(new JsonObject().put("image", host + "/stall")), 504, "FETCH_TIMEOUT");
    // An image that is not there is the reference's fault, not the host's.
    assertProblem(classify(new JsonObject().put("image", host + "/404")), 422, "FETCH_FAILED");
  }

  @Test
  void adminEndpointsAreOffWithoutAToken() {
    assertProblem(get("/admin/tasks"), 404, "HTTP_404");
  }

  private HttpResponse<Buffer> classify(JsonObject request) {
    return client.post(service.httpPort(), "127.0.0.1", "/v1/classify").sendJsonObject(request).await();
  }

  /** An RFC 9457 problem: the media type, status, title, detail and loraflow's reason. */
  static void assertProblem(HttpResponse<Buffer> response, int status, String reason) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals("application/problem+json", response.getHeader("content-type"));
    JsonObject problem = response.bodyAsJsonObject();
    assertEquals("about:blank", problem.getString("type"));
    assertEquals(status, problem.getInteger("status"));
    assertEquals(HttpResponseStatus.valueOf(status).reasonPhrase(), problem.getString("title"));
    assertFalse(problem.getString("detail", "").isBlank(), problem.encode());
    assertEquals(reason, problem.getString("reason"));
  }

  private static HttpServer imageHost(Vertx vertx) {
    return vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/500" -> req.response().setStatusCode(500).end("upstream broke");
        case "/404" -> req.response().setStatusCode(404).end();
        default -> { } // /stall: never answers
      }
    }).listen(0, "127.0.0.1").await();
  }

  @Test
  void healthProbesNameTheBuild() {
    HttpResponse<Buffer> live = get("/health/live");
    assertEquals(200, live.statusCode());
    assertEquals(200, get("/health/started").statusCode(), "the model is loaded");
    HttpResponse<Buffer> ready = get("/health/ready");
    assertEquals(200, ready.statusCode(), ready.bodyAsString());
    assertTrue(ready.bodyAsJsonObject().getBoolean("groupJoined"));
    for (JsonObject health : List.of(live.bodyAsJsonObject(), ready.bodyAsJsonObject())) {
      assertEquals(BuildInfo.current().version(), health.getString("version"), health.encode());
      assertEquals(BuildInfo.current().commit(), health.getString("commit"), health.encode());
    }
    // Maven filtered the real version in: the pom's, not a placeholder.
    assertTrue(BuildInfo.current().version().matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), BuildInfo.current().version());
  }

  @Test
  void metricsCountWhatWasSent() throws Exception {
    String metricsIn = in;
    int good = 7;
    try (KafkaProducer<String, String> p = producer()) {
      for (int i = 0; i < good; i++) {
        p.send(new ProducerRecord<>(metricsIn, "m" + i, new JsonObject().put("id", "m" + i)
            .put("image", images.get(i % images.size()).toString()).encode()));
      }
      p.send(new ProducerRecord<>(metricsIn, "bad-json", "{oops"));
      p.send(new ProducerRecord<>(metricsIn, "bad-scheme", new JsonObject().put("image", "gopher://x/y").encode()));
      p.send(new ProducerRecord<>(metricsIn, "missing", new JsonObject()
          .put("image", tmp.resolve("nope.png").toString()).encode()));
      p.flush();
    }
    long deadline = System.currentTimeMillis() + 60_000;
    String text = "";
    // The model names no tasks: its one task is "default". A request that cannot be read has no
    // task, so its dead letter counts under task="" (no label, to Prometheus).
    String results = "loraflow_results_total\\{task=\"default\"\\}";
    String invalid = "loraflow_dead_letters_total\\{reason=\"INVALID_EVENT\",task=\"\"\\}";
    String scheme = "loraflow_dead_letters_total\\{reason=\"UNSUPPORTED_SCHEME\",task=\"default\"\\}";
    String missing = "loraflow_dead_letters_total\\{reason=\"FILE_NOT_FOUND\",task=\"default\"\\}";
    while (System.currentTimeMillis() < deadline) {
      text = get("/metrics").bodyAsString();
      if (value(text, missing) >= 1 && value(text, invalid) >= 1 && value(text, scheme) >= 1
          && value(text, results) >= good) {
        break;
      }
      Thread.sleep(200);
    }
    // Other tests of this class may add results (the Kafka path one adds one), never dead letters.
    double resultCount = value(text, results);
    assertTrue(resultCount >= good && resultCount <= good + 1, "results " + resultCount);
    assertEquals(1, value(text, invalid));
    assertEquals(1, value(text, scheme));
    assertEquals(1, value(text, missing));
    assertEquals(0, value(text, "loraflow_dead_letters_total\\{reason=\"DECODE_FAILED\",task=\"default\"\\}"),
        "every reason is a series from the start");
    assertFalse(text.contains("reason=\"none\""), "a result carries no reason");
    assertTrue(value(text, "loraflow_batch_size_count\\{task=\"default\"\\}") >= 1);
    assertTrue(value(text, "loraflow_inference_runs_total\\{task=\"default\"\\}") >= 1);
    assertEquals(value(text, "loraflow_inference_runs_total\\{task=\"default\"\\}"),
        value(text, "loraflow_inference_run_duration_seconds_count\\{task=\"default\"\\}"), "every run timed");
    assertTrue(text.contains("# TYPE loraflow_inference_run_duration_seconds histogram"), "run time is a histogram");
    assertTrue(value(text, "loraflow_batch_size_sum\\{task=\"default\"\\}") >= resultCount,
        "every result went through a batch");
    // Latencies are histograms (buckets aggregate across replicas), not summaries.
    assertTrue(text.contains("# TYPE loraflow_event_latency_seconds histogram"), "latency is a histogram");
    assertTrue(text.contains("# TYPE loraflow_stage_duration_seconds histogram"), "stages are histograms");
    assertFalse(text.contains("quantile="), "no summary quantiles");
    assertEquals(resultCount + 3, value(text,
        "loraflow_event_latency_seconds_bucket\\{task=\"default\",le=\"\\+Inf\"\\}") + value(text,
        "loraflow_event_latency_seconds_bucket\\{task=\"\",le=\"\\+Inf\"\\}"), "every outcome has a latency");
    assertEquals(value(text, "loraflow_event_latency_seconds_count\\{task=\"default\"\\}"), value(text,
        "loraflow_event_latency_seconds_bucket\\{task=\"default\",le=\"60.0\"\\}"), "all within a minute");
    for (String stage : List.of("fetch", "decode", "queue", "inference", "publish")) {
      assertTrue(value(text, "loraflow_stage_duration_seconds_count\\{stage=\"" + stage + "\"\\}") >= good, stage);
      assertTrue(text.contains("loraflow_stage_duration_seconds_bucket{stage=\"" + stage + "\",le=\"0.001\"}"),
          stage + ": a 1 ms bucket");
    }
    assertEquals(0, value(text, "loraflow_events_in_flight"));
    assertEquals(1, value(text, "loraflow_inference_device_info\\{device=\"cpu\"\\}"));
    assertEquals(1, value(text, "loraflow_model_info\\{model=\"http-test\",version=\"[^\"]+\"\\}"));
    assertEquals(1, value(text, "loraflow_build_info\\{commit=\"" + Pattern.quote(BuildInfo.current().commit())
        + "\",version=\"" + Pattern.quote(BuildInfo.current().version()) + "\"\\}"));
    assertTrue(text.contains("kafka_consumer_fetch_manager_records_lag"), "consumer lag per partition");
    assertTrue(text.contains("client_id=\"" + CLIENT_ID + "\""), "kafka.consumer.client.id reached the consumer");
    assertTrue(value(text, "jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"\\}") > 0);
    assertTrue(value(text, "process_resident_memory_bytes") > 0);
    assertTrue(value(text, "loraflow_consumer_lag") >= 0, "the lag gauge is there");
    // It is asked of the broker every 2 s: everything sent was read, so it comes down to 0.
    long lagDeadline = System.currentTimeMillis() + 10_000;
    double lag = value(text, "loraflow_consumer_lag");
    while (lag != 0 && System.currentTimeMillis() < lagDeadline) {
      Thread.sleep(200);
      lag = value(get("/metrics").bodyAsString(), "loraflow_consumer_lag");
    }
    assertEquals(0, lag, "everything sent was read: no records behind");
    grafanaDashboardReadsWhatIsExported(text);
  }

  /**
   * Every series deploy/grafana/dashboard.json queries is in this scrape, with the labels
   * its {@code by (...)} clauses group on: a renamed metric or label breaks the dashboard here.
   */
  private static void grafanaDashboardReadsWhatIsExported(String scrape) throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("deploy/grafana/dashboard.json")));
    Pattern series = Pattern.compile("\\b((?:loraflow|kafka|process|jvm)_[a-z_]+)\\b");
    Pattern by = Pattern.compile("by \\(([a-z_, ]+)\\) \\(\\w*\\(?((?:loraflow|kafka)_[a-z_]+)");
    int checked = 0;
    for (Object p : dashboard.getJsonArray("panels")) {
      for (Object t : ((JsonObject) p).getJsonArray("targets")) {
        String expr = ((JsonObject) t).getString("expr");
        Matcher m = series.matcher(expr);
        while (m.find()) {
          assertTrue(Pattern.compile("(?m)^" + m.group(1) + "[{ ]").matcher(scrape).find(),
              "the dashboard queries " + m.group(1) + ", which /metrics does not export: " + expr);
          checked++;
        }
        Matcher b = by.matcher(expr);
        while (b.find()) {
          for (String label : b.group(1).split(",\\s*")) {
            if (!label.equals("le")) {
              assertTrue(Pattern.compile("(?m)^" + b.group(2) + "\\{[^}]*\\b" + label + "=").matcher(scrape).find(),
                  "the dashboard groups " + b.group(2) + " by " + label + ", a label it does not have: " + expr);
            }
          }
        }
      }
    }
    assertTrue(checked >= 10, "the dashboard queries the service's metrics");
  }

  /** The value of the first sample line matching {@code name} (a regex), or NaN. */
  static double value(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+|NaN)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  private static KafkaProducer<String, String> producer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }
}
