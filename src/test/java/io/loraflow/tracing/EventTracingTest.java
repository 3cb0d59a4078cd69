package io.loraflow.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tracing=opentelemetry on the real broker: each event's consumer span continues the input's
 * traceparent, its stages are child spans, the result carries the context of its producer span,
 * and Vert.x's integration traces the HTTP API.
 */
class EventTracingTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";

  @TempDir
  Path tmp;

  @Test
  void spansContinueTheInputTraceAndTheResultCarriesTheNewContext() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "traced", 8, 0);
    Path image = TestImages.write(tmp.resolve("img"), 1).get(0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    Map<String, String> s = topics.settings(model, tmp);
    s.put(LoraflowConfig.TRACING, "opentelemetry");
    s.put(LoraflowConfig.HTTP_PORT, "0");
    LoraflowConfig config = LoraflowConfig.of(s);
    Vertx vertx = Tracing.install(Vertx.builder(), config, otel).build();
    try {
      ClassifierService service = new ClassifierService(config, new SimpleMeterRegistry(), otel);
      vertx.deployVerticle(service).await();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
        send(producer, topics.in(), "good", new JsonObject().put("id", "good").put("image", image.toString()));
        send(producer, topics.in(), "bad", new JsonObject().put("id", "bad").put("image", tmp.resolve("none.png").toString()));
      }
      List<Out> outs = OutputCollector.collect(List.of(topics.out(), topics.dlq()), o -> o.size() >= 2,
          Duration.ofSeconds(60));
      Out result = outs.stream().filter(o -> o.topic().equals(topics.out())).findFirst().orElseThrow();
      Out dead = outs.stream().filter(o -> o.topic().equals(topics.dlq())).findFirst().orElseThrow();

      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData good = processSpan(all, 0);
      assertEquals(TRACE, good.getTraceId(), "the event's span is in the producer's trace");
      assertEquals(PARENT, good.getParentSpanId(), "its parent is the input's traceparent");
      assertEquals(SpanKind.CONSUMER, good.getKind());
      assertEquals("process " + topics.in(), good.getName());
      assertEquals(StatusCode.UNSET, good.getStatus().getStatusCode());
      Set<String> stages = all.stream().filter(x -> x.getParentSpanId().equals(good.getSpanId()))
          .map(SpanData::getName).collect(Collectors.toSet());
      assertEquals(Set.of("fetch", "decode", "queue", "inference", "send " + topics.out()), stages);
      SpanData send = all.stream().filter(x -> x.getName().equals("send " + topics.out())).findFirst().orElseThrow();
      assertEquals(SpanKind.PRODUCER, send.getKind());
      assertEquals("00-" + TRACE + "-" + send.getSpanId() + "-01", result.headers().get("traceparent"),
          "the result carries the context of its send span, not the input's");

      SpanData bad = processSpan(all, 1);
      assertEquals(PARENT, bad.getParentSpanId());
      assertEquals(StatusCode.ERROR, bad.getStatus().getStatusCode());
      assertEquals("FILE_NOT_FOUND", bad.getAttributes().get(OtelEventSpan.REASON));
      assertEquals(dead.headers().get("loraflow.error.reason"), bad.getAttributes().get(OtelEventSpan.REASON));
      assertEquals("00-" + TRACE + "-" + PARENT + "-01", dead.headers().get("traceparent"),
          "a dead letter keeps the input's headers");

      // Vert.x's integration: the HTTP API's server span continues the caller's trace.
      spans.reset();
      int status = vertx.createHttpClient().request(HttpMethod.GET, service.httpPort(), "localhost", "/health/live")
          .compose(r -> r.putHeader("traceparent", "00-" + TRACE + "-" + PARENT + "-01").send())
          .map(r -> r.statusCode()).await();
      assertEquals(200, status);
      SpanData http = spans.getFinishedSpanItems().stream().filter(x -> x.getKind() == SpanKind.SERVER)
          .findFirst().orElseThrow(() -> new AssertionError("no server span: " + spans.getFinishedSpanItems()));
      assertEquals(PARENT, http.getParentSpanId());
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void theSdkIsConfiguredFromTheOtelVariablesWithTheJdkSender() {
    LoraflowConfig on = LoraflowConfig.of(Map.of(LoraflowConfig.TRACING, "opentelemetry"));
    // The OTLP exporter is built here: without an HTTP sender on the class path this throws.
    OpenTelemetrySdk sdk = (OpenTelemetrySdk) Tracing.open(on);
    try {
      assertTrue(sdk.getTracer("t").spanBuilder("s").startSpan().isRecording());
      assertEquals(Set.of("traceparent", "tracestate", "baggage"),
          Set.copyOf(sdk.getPropagators().getTextMapPropagator().fields()));
    } finally {
      sdk.close();
    }
    LoraflowConfig off = LoraflowConfig.of(Map.of());
    assertEquals(io.opentelemetry.api.OpenTelemetry.noop(), Tracing.open(off));
    assertEquals(EventTracer.OFF, Tracing.eventTracer(off, sdk));
  }

  private static SpanData processSpan(List<SpanData> all, long offset) {
    return all.stream().filter(x -> x.getKind() == SpanKind.CONSUMER)
        .filter(x -> Long.valueOf(offset).equals(x.getAttributes().get(
            io.opentelemetry.api.common.AttributeKey.longKey("messaging.kafka.offset"))))
        .findFirst().orElseThrow(() -> new AssertionError("no span of offset " + offset + ": " + all));
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, JsonObject request)
      throws Exception {
    RecordHeaders headers = new RecordHeaders();
    headers.add("traceparent", ("00-" + TRACE + "-" + PARENT + "-01").getBytes(StandardCharsets.UTF_8));
    producer.send(new ProducerRecord<>(topic, null, null, key.getBytes(StandardCharsets.UTF_8),
        request.encode().getBytes(StandardCharsets.UTF_8), headers)).get();
  }
}
