package io.loraflow.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The dashboard's time series: one point a second over the last five minutes, kept by the
 * instance itself, so its events/s is this instance's (not a difference between two browser
 * polls that a load balancer sent to different pods) and a fresh page has history to draw.
 *
 * <p>Concurrency: {@link #sample} and {@link #toJson} on the event loop.
 */
public final class Timeline {
  /** One second each. */
  static final int POINTS = 300;

  private final long[] atMillis = new long[POINTS];
  private final double[] eventsPerSec = new double[POINTS];
  private final double[] p50Ms = new double[POINTS];
  private final double[] p99Ms = new double[POINTS];
  private final double[] meanBatch = new double[POINTS];
  private final int[] inFlight = new int[POINTS];
  private final long[] lag = new long[POINTS];
  private int next;
  private int size;
  private long lastOutcomes = -1;
  private double lastBatchRows;
  private double lastRuns;
  private long lastMillis;

  /**
   * Adds a point from running totals (outcomes so far, rows and runs of inference so far) and
   * current values; rates and the mean batch are over the time since the previous point.
   */
  public void sample(long nowMillis, long outcomes, double batchRows, double runs, double p50, double p99,
      int inFlightNow, long lagNow) {
    if (lastOutcomes >= 0 && nowMillis > lastMillis) {
      int i = next;
      atMillis[i] = nowMillis;
      eventsPerSec[i] = (outcomes - lastOutcomes) * 1000.0 / (nowMillis - lastMillis);
      meanBatch[i] = runs > lastRuns ? (batchRows - lastBatchRows) / (runs - lastRuns) : 0;
      p50Ms[i] = p50;
      p99Ms[i] = p99;
      inFlight[i] = inFlightNow;
      lag[i] = lagNow;
      next = (next + 1) % POINTS;
      size = Math.min(POINTS, size + 1);
    }
    lastOutcomes = outcomes;
    lastBatchRows = batchRows;
    lastRuns = runs;
    lastMillis = nowMillis;
  }

  /** Column arrays, oldest first: {@code t} (epoch ms), eventsPerSec, p50Ms, p99Ms, meanBatch, inFlight, lag. */
  public JsonObject toJson() {
    JsonArray t = new JsonArray();
    JsonArray rate = new JsonArray();
    JsonArray p50 = new JsonArray();
    JsonArray p99 = new JsonArray();
    JsonArray batch = new JsonArray();
    JsonArray flight = new JsonArray();
    JsonArray behind = new JsonArray();
    for (int k = 0; k < size; k++) {
      int i = (next - size + k + POINTS) % POINTS;
      t.add(atMillis[i]);
      rate.add(round(eventsPerSec[i]));
      p50.add(round(p50Ms[i]));
      p99.add(round(p99Ms[i]));
      batch.add(round(meanBatch[i]));
      flight.add(inFlight[i]);
      behind.add(lag[i]);
    }
    return new JsonObject().put("t", t).put("eventsPerSec", rate).put("p50Ms", p50).put("p99Ms", p99)
        .put("meanBatch", batch).put("inFlight", flight).put("lag", behind);
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : 0;
  }
}
