package io.loraflow.http;

import io.loraflow.BuildInfo;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The service's HTTP surface: health probes, Prometheus metrics, {@code POST /v1/classify} (the
 * same path as Kafka events, minus Kafka), task admin ({@link TaskAdmin}) and the live dashboard
 * at {@code /}.
 */
public final class HttpApi {
  private final Vertx vertx;
  private final ServiceMetrics metrics;
  private final RequestParser parser;
  /** Classifies one request; the result JSON (schemas/classification-result.schema.json, no source). */
  private final Function<ImageRequest, Future<Buffer>> classify;
  private final Supplier<JsonObject> readiness;
  private final Supplier<JsonObject> status;
  private final TaskAdmin taskAdmin;
  private final long maxBodyBytes;
  private final int maxInFlight;
  private int inFlight;

  /**
   * {@code readiness} returns {@code {"ready": bool, ...details}}; {@code status} adds live
   * figures for the dashboard (in flight, paused partitions, lag).
   */
  public HttpApi(Vertx vertx, ServiceMetrics metrics, RequestParser parser,
      Function<ImageRequest, Future<Buffer>> classify, Supplier<JsonObject> readiness,
      Supplier<JsonObject> status, TaskAdmin taskAdmin, long maxBodyBytes, int maxInFlight) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.parser = parser;
    this.classify = classify;
    this.readiness = readiness;
    this.status = status;
    this.taskAdmin = taskAdmin;
    this.maxBodyBytes = maxBodyBytes;
    this.maxInFlight = maxInFlight;
  }

  public Future<HttpServer> listen(String host, int port) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(rc -> json(rc, 200, withBuild(new JsonObject().put("status", "UP"))));
    // Startup probe: up once the model is loaded and warmed up (HTTP answers from the start).
    router.get("/health/started").handler(rc -> {
      boolean started = readiness.get().getBoolean("modelLoaded", false);
      json(rc, started ? 200 : 503, new JsonObject().put("status", started ? "UP" : "DOWN"));
    });
    router.get("/health/ready").handler(rc -> {
      JsonObject r = readiness.get();
      json(rc, r.getBoolean("ready") ? 200 : 503, withBuild(r));
    });
    router.get("/metrics").handler(this::metrics);
    router.get("/api/dashboard").handler(rc -> json(rc, 200, dashboard()));
    router.post("/v1/classify").handler(BodyHandler.create().setBodyLimit(maxBodyBytes));
    router.post("/v1/classify").handler(this::classify);
    taskAdmin.mount(router);
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    return vertx.createHttpServer().requestHandler(router).listen(port, host);
  }

  private void metrics(RoutingContext rc) {
    if (metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      rc.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
          .end(prometheus.scrape());
    } else {
      rc.response().setStatusCode(404).end("metrics registry is not Prometheus");
    }
  }

  private void classify(RoutingContext rc) {
    // Classifying over HTTP needs the model, not Kafka: neither a broker outage nor a group join
    // still in progress refuses it.
    if (!readiness.get().getBoolean("modelLoaded", false)) {
      error(rc, 503, "NOT_READY", "the model is not loaded yet");
      return;
    }
    if (inFlight >= maxInFlight) {
      error(rc, 503, "OVERLOADED", "max.in.flight requests are already being classified");
      return;
    }
    String contentType = rc.request().getHeader("content-type");
    Buffer body = rc.body().buffer();
    ImageRequest request;
    try {
      request = parser.parse(body, contentType == null ? Map.of() : Map.of("content-type", contentType),
          "http-" + UUID.randomUUID());
    } catch (StageException e) {
      error(rc, status(e.reason()), e.reason().name(), e.getMessage());
      return;
    }
    inFlight++;
    classify.apply(request).onComplete(ar -> {
      inFlight--;
      if (ar.succeeded()) {
        rc.response().setStatusCode(200).putHeader("content-type", "application/json").end(ar.result());
      } else if (ar.cause() instanceof StageException e) {
        error(rc, status(e.reason()), e.reason().name(), e.getMessage());
      } else {
        error(rc, 500, Reason.INTERNAL_ERROR.name(), String.valueOf(ar.cause()));
      }
    });
  }

  /** One place maps reasons to HTTP: the caller's fault is 4xx, ours 5xx. */
  static int status(Reason reason) {
    return switch (reason) {
      case INVALID_EVENT, UNSUPPORTED_SCHEME, UNKNOWN_TASK -> 400;
      case FORBIDDEN_TARGET -> 403;
      case FILE_NOT_FOUND -> 404;
      case FETCH_TIMEOUT -> 408;
      case TOO_LARGE -> 413;
      case UNSUPPORTED_FORMAT -> 415;
      case FETCH_FAILED, DECODE_FAILED, EXPIRED -> 422;
      case INFERENCE_FAILED, PUBLISH_FAILED, INTERNAL_ERROR -> 500;
    };
  }

  private JsonObject dashboard() {
    JsonObject latency = new JsonObject();
    for (ValueAtPercentile v : metrics.latency().takeSnapshot().percentileValues()) {
      latency.put("p" + Math.round(v.percentile() * 100), v.value(TimeUnit.MILLISECONDS));
    }
    long runs = metrics.inferenceRuns();
    return status.get()
        .put("results", metrics.results())
        .put("deadLetters", metrics.deadLetters())
        .put("latencyMs", latency)
        .put("inferenceRuns", runs)
        .put("meanBatchSize", metrics.batchSize().mean())
        .put("maxBatchSize", metrics.batchSize().max())
        .put("recent", metrics.recent().toJson());
  }

  /** Health answers name the build, so a rollout can be followed probe by probe. */
  private static JsonObject withBuild(JsonObject health) {
    return health.put("version", BuildInfo.current().version()).put("commit", BuildInfo.current().commit());
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  private static void error(RoutingContext rc, int status, String reason, String message) {
    json(rc, status, new JsonObject().put("reason", reason).put("message", message));
  }
}
