package io.loraflow.service;

import io.vertx.core.json.JsonObject;

/** Stage timestamps of one event, reported in the result's {@code timingsMs}. */
final class Timings {
  private final long start = System.nanoTime();
  private long fetched;
  private long decoded;

  void fetched() {
    fetched = System.nanoTime();
  }

  void decoded() {
    decoded = System.nanoTime();
  }

  JsonObject toJson(long queueNanos, long inferenceNanos) {
    long now = System.nanoTime();
    return new JsonObject()
        .put("fetch", ms(fetched - start))
        .put("decode", ms(decoded - fetched))
        .put("queue", ms(queueNanos))
        .put("inference", ms(inferenceNanos))
        .put("total", ms(now - start));
  }

  private static double ms(long nanos) {
    return Math.round(Math.max(0, nanos) / 10_000.0) / 100.0;
  }
}
