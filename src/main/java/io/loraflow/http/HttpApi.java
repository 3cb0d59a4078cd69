package io.loraflow.http;

import io.loraflow.BuildInfo;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
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
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's HTTP surface: health probes, Prometheus metrics, {@code POST /v1/classify} (the
 * same path as Kafka events, minus Kafka), task admin ({@link TaskAdmin}, only with an admin
 * token) and the live dashboard at {@code /}. Every error is an RFC 9457 problem ({@link Problem}).
 */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private final Vertx vertx;
  private final ServiceMetrics metrics;
  private final RequestParser parser;
  /** Classifies one request; the result JSON (schemas/classification-result.schema.json, no source). */
  private final Function<ImageRequest, Future<Buffer>> classify;
  private final Supplier<JsonObject> readiness;
  private final Supplier<JsonObject> status;
  private final TaskAdmin taskAdmin;
  /** {@code http.admin.token}; empty: no admin routes. */
  private final String adminToken;
  private final long maxBodyBytes;
  private final int maxInFlight;
  private int inFlight;

  /**
   * {@code readiness} returns {@code {"ready": bool, ...details}}; {@code status} adds live
   * figures for the dashboard (in flight, paused partitions, lag). {@code adminToken} empty
   * leaves {@code /admin/*} unmounted (404); otherwise it is the bearer token they require.
   */
  public HttpApi(Vertx vertx, ServiceMetrics metrics, RequestParser parser,
      Function<ImageRequest, Future<Buffer>> classify, Supplier<JsonObject> readiness,
      Supplier<JsonObject> status, TaskAdmin taskAdmin, String adminToken, long maxBodyBytes,
      int maxInFlight) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.parser = parser;
    this.classify = classify;
    this.readiness = readiness;
    this.status = status;
    this.taskAdmin = taskAdmin;
    this.adminToken = adminToken;
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
    if (!adminToken.isEmpty()) {
      router.route("/admin/*").handler(new AdminAuth(adminToken));
      taskAdmin.mount(router);
    }
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    // Vert.x Web's own failures (no route, wrong method, body over the limit) as problems too.
    for (int code : new int[] {400, 404, 405, 413, 415}) {
      router.errorHandler(code, rc -> Problem.send(rc, code, "HTTP_" + code,
          rc.failure() == null ? rc.request().method() + " " + rc.request().path()
              : String.valueOf(rc.failure().getMessage())));
    }
    router.errorHandler(500, rc -> internalError(rc, rc.failure()));
    return vertx.createHttpServer().requestHandler(router).listen(port, host);
  }

  private void metrics(RoutingContext rc) {
    if (metrics.registry() instanceof PrometheusMeterRegistry prometheus) {
      rc.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
          .end(prometheus.scrape());
    } else {
      Problem.send(rc, 404, "NO_PROMETHEUS_REGISTRY", "the metrics registry is not Prometheus");
    }
  }

  private void classify(RoutingContext rc) {
    // Classifying over HTTP needs the model, not Kafka: neither a broker outage nor a group join
    // still in progress refuses it.
    if (!readiness.get().getBoolean("modelLoaded", false)) {
      unavailable(rc, "NOT_READY", "the model is not loaded yet");
      return;
    }
    if (inFlight >= maxInFlight) {
      unavailable(rc, "OVERLOADED", "max.in.flight requests are already being classified");
      return;
    }
    String contentType = rc.request().getHeader("content-type");
    Buffer body = rc.body().buffer();
    ImageRequest request;
    try {
      request = parser.parse(body, contentType == null ? Map.of() : Map.of("content-type", contentType),
          "http-" + UUID.randomUUID());
    } catch (StageException e) {
      problem(rc, e);
      return;
    } catch (io.loraflow.ingest.NotClassified e) {
      // Over HTTP someone waits for an answer: say there is nothing to classify.
      problem(rc, new StageException(io.loraflow.error.Reason.INVALID_EVENT, e.getMessage()));
      return;
    }
    inFlight++;
    classify.apply(request).onComplete(ar -> {
      inFlight--;
      if (ar.succeeded()) {
        rc.response().setStatusCode(200).putHeader("content-type", "application/json").end(ar.result());
      } else if (ar.cause() instanceof StageException e) {
        problem(rc, e);
      } else {
        internalError(rc, ar.cause());
      }
    });
  }

  /**
   * One place maps failures to HTTP: the caller's fault is 4xx, ours 5xx, and the image host's
   * (acting as a gateway to it) 502 or 504. A {@code FETCH_FAILED} the fetcher deems transient
   * (the host answered 5xx or 429, refused or reset the connection) is the host's; any other
   * (a 4xx, an unknown host, a redirect loop) is the reference's.
   */
  static int status(StageException e) {
    return switch (e.reason()) {
      case INVALID_EVENT, UNSUPPORTED_SCHEME, UNKNOWN_TASK -> 400;
      case FORBIDDEN_TARGET -> 403;
      case FILE_NOT_FOUND -> 404;
      case TOO_LARGE -> 413;
      case UNSUPPORTED_FORMAT -> 415;
      case FETCH_FAILED -> e.isTransient() ? 502 : 422;
      case DECODE_FAILED, EXPIRED -> 422;
      case FETCH_TIMEOUT -> 504;
      case INFERENCE_FAILED, PUBLISH_FAILED, INTERNAL_ERROR, DELIVERY_LIMIT -> 500; // the last: Kafka only
    };
  }

  private JsonObject dashboard() {
    long runs = metrics.inferenceRuns();
    return status.get()
        .put("results", metrics.results())
        .put("deadLetters", metrics.deadLetters())
        .put("latencyMs", metrics.recentLatencyMs())
        .put("inferenceRuns", runs)
        .put("meanBatchSize", metrics.meanBatchSize())
        .put("maxBatchSize", metrics.maxBatchSize())
        .put("recent", metrics.recent().toJson());
  }

  /**
   * An unexpected failure: the client gets an incident id, not the exception (its text can name
   * paths and internals); the log has both.
   */
  private static void internalError(RoutingContext rc, Throwable cause) {
    String incident = UUID.randomUUID().toString();
    LOG.warn("event=http_internal_error incident={} path={} error={}", incident, rc.request().path(),
        String.valueOf(cause), cause);
    Problem.send(rc, 500, Reason.INTERNAL_ERROR.name(), "internal error, incident " + incident
        + " in the service log");
  }

  /** Health answers name the build, so a rollout can be followed probe by probe. */
  private static JsonObject withBuild(JsonObject health) {
    return health.put("version", BuildInfo.current().version()).put("commit", BuildInfo.current().commit());
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  private static void problem(RoutingContext rc, StageException e) {
    Problem.send(rc, status(e), e.reason().name(), e.getMessage());
  }

  /** 503 with a Retry-After, as a load balancer or client backs off on. */
  private static void unavailable(RoutingContext rc, String reason, String detail) {
    rc.response().putHeader("Retry-After", "1");
    Problem.send(rc, 503, reason, detail);
  }
}
