package io.loraflow.inference;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What classifying one image found: the request's id, the top-k labels and scores, the model and
 * task that ran, the device, how many events shared the run (0 when the result came from the
 * result cache, {@code cached}), and the time spent in each stage.
 * The publish stage renders it (schemas/classification-result.schema.json); nothing here is JSON
 * yet except the request's own free-form {@code attributes} (null when absent).
 */
public record Classification(String id, List<String> labels, List<Double> scores, String modelName,
    String modelVersion, String task, String device, JsonObject attributes, int batchSize, Timings timings,
    long finishedAtMillis, boolean cached) {

  /** Wall-clock nanoseconds per stage, from the start of classification. */
  public record Timings(long fetchNanos, long decodeNanos, long queueNanos, long inferenceNanos, long totalNanos) {
  }
}
