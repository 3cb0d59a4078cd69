package io.loraflow.service;

import io.loraflow.ingest.InFlightGate;
import io.loraflow.ingest.Ingest;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.metrics.Timeline;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * The service's state as the HTTP surface reports it: readiness (model loaded and warmed up,
 * group joined) and the status JSON of the dashboard. Reads what the stages expose; owns nothing.
 *
 * <p>Concurrency: event loop.
 */
final class ServiceStatus {
  private final ServiceMetrics metrics;
  private final int maxInFlight;
  /** consumer or share (group.type). */
  private final String groupType;
  private final Supplier<Boolean> modelReady;
  private final Supplier<String> device;
  private final Supplier<? extends Ingest> ingest;
  private final Supplier<InFlightGate> gate;
  private final Supplier<Boolean> brokerReachable;
  private final Timeline timeline = new Timeline();

  ServiceStatus(ServiceMetrics metrics, int maxInFlight, String groupType, Supplier<Boolean> modelReady, Supplier<String> device,
      Supplier<? extends Ingest> ingest, Supplier<InFlightGate> gate, Supplier<Boolean> brokerReachable) {
    this.metrics = metrics;
    this.maxInFlight = maxInFlight;
    this.groupType = groupType;
    this.modelReady = modelReady;
    this.device = device;
    this.ingest = ingest;
    this.gate = gate;
    this.brokerReachable = brokerReachable;
  }

  /**
   * Ready once the model is loaded and warmed up and the consumer has joined its group, and while
   * the broker answers.
   */
  JsonObject readiness() {
    boolean joined = ingest.get() != null && ingest.get().joined();
    boolean model = modelReady.get();
    boolean broker = brokerReachable.get();
    return new JsonObject().put("ready", model && joined && broker).put("modelLoaded", model)
        .put("groupJoined", joined).put("brokerReachable", broker);
  }

  /**
   * Consumer group: the events this instance has yet to finish reading, its consumer's lag
   * (records behind the log end) plus the records read but still waiting for an in-flight slot.
   * Share group: the group's backlog, which counts the records waiting here already.
   */
  long backlog() {
    Ingest in = ingest.get();
    return in == null ? 0 : in.lag() + (groupType.equals("share") ? 0 : in.waiting());
  }

  /** Adds the second's point to the dashboard's time series. */
  void sample(long nowMillis) {
    InFlightGate g = gate.get();
    JsonObject latency = metrics.recentLatencyMs();
    timeline.sample(nowMillis, metrics.results() + metrics.deadLetters(), metrics.batchRows(),
        metrics.inferenceRuns(), latency.getDouble("p50", Double.NaN), latency.getDouble("p99", Double.NaN),
        g == null ? 0 : g.inFlight(), backlog());
  }

  JsonObject status() {
    Ingest in = ingest.get();
    InFlightGate g = gate.get();
    return new JsonObject()
        .put("device", device.get())
        .put("groupType", groupType)
        .put("inFlight", g == null ? 0 : g.inFlight())
        .put("maxInFlight", maxInFlight)
        .put("pausedPartitions", in == null ? 0 : in.pausedPartitions())
        .put("lag", backlog())
        .put("deadLettersByReason", metrics.deadLettersByReason())
        .put("series", timeline.toJson());
  }
}
