package io.loraflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Issue 13's targets against one run's cases: a row per target with the measured value, the verdict,
 * issue 9's older threshold where there was one, and the service stage with the most CPU per event
 * in that case ({@link ThreadCpu#busiestStage}, medians over the rounds) with the cores it kept busy
 * at the measured rate.
 */
final class Issue13 {
  private Issue13() {
  }

  static JsonObject verdicts(JsonObject cases) {
    JsonArray rows = new JsonArray();
    JsonObject small = cases.getJsonObject("smallModelBound");
    JsonObject photos = cases.getJsonObject("photosVsPlainLoop");
    JsonObject pipe = cases.getJsonObject("pipeBound");
    if (small != null) {
      rows.add(row("small (bundled model, 28x28 PNG): service ÷ bare ORT", small.getDouble("ratio"),
          Harness.TARGET_SMALL, small).put("issue9Threshold", Harness.ISSUE9_SMALL));
    }
    if (pipe != null) {
      rows.add(row("pipe (near-free model): service events/s", pipe.getDouble("eventsPerSec"),
          Harness.TARGET_PIPE_EVENTS, pipe));
      rows.add(row("pipe (near-free model): service ÷ Java passthrough", pipe.getDouble("ratio"),
          Harness.TARGET_PIPE, pipe).put("issue9Threshold", Harness.ISSUE9_PIPE));
    }
    if (small != null) {
      rows.add(ceiling(row("service ÷ plain poll loop, 28x28 PNG samples", small.getDouble("ratioVsPlainLoop"),
          Harness.TARGET_VS_PLAIN_LOOP, small), small, small));
    }
    if (photos != null) {
      rows.add(ceiling(row("service ÷ plain poll loop, JPEG photos", photos.getDouble("ratio"),
          Harness.TARGET_VS_PLAIN_LOOP, photos), small, photos));
    }
    return new JsonObject().put("rows", rows).put("boundRule", "the service stage (thread groups; the ORT caller "
        + "and ORT's native pool together) with the most CPU µs per event, medians over the rounds; cores = "
        + "µs/event × the service's events/s");
  }

  private static JsonObject row(String target, Double measured, double threshold, JsonObject c) {
    boolean met = measured != null && !measured.isNaN() && measured >= threshold;
    JsonObject r = new JsonObject().put("target", target).put("threshold", threshold).put("measured", measured)
        .put("met", met);
    JsonObject cpu = c.getJsonObject("threadCpu", new JsonObject()).getJsonObject("service");
    JsonObject bound = ThreadCpu.busiestStage(cpu);
    if (bound != null) {
      Double rate = c.getDouble("eventsPerSec");
      bound.put("cores", rate == null ? null : Math.round(bound.getDouble("usPerEvent") * rate / 1e4) / 100.0)
          .put("serviceTotalUsPerEvent", cpu.getDouble("total"));
      r.put("bound", bound);
    }
    return r;
  }

  /**
   * The plain-loop rows: bare ORT images/s ÷ the plain loop's events/s is the most service ÷ plain
   * loop can reach while the service is bounded by ORT (same model and session options).
   */
  private static JsonObject ceiling(JsonObject row, JsonObject small, JsonObject c) {
    Double bare = small == null ? null : small.getDouble("bareImagesPerSec");
    Double plain = c.getDouble("otherEventsPerSec");
    if (bare != null && plain != null && plain > 0) {
      row.put("bareOrtImagesPerSec", bare).put("plainLoopEventsPerSec", plain).put("ceiling", bare / plain);
    }
    return row;
  }
}
