package io.loraflow.metrics;

import io.loraflow.BuildInfo;
import io.loraflow.error.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The service's meters, in Triton's split: events by outcome and reason, time per stage (queue,
 * fetch, decode+preprocess, inference, publish) and end to end, batch sizes and inference runs.
 * Gauges (in flight, paused partitions, device) are registered by their owners through
 * {@link #gauge}; {@code loraflow_build_info} names the running version and commit. Consumer lag per partition comes from the Kafka client's own metrics
 * ({@code kafka_consumer_fetch_manager_records_lag}). Any thread.
 */
public final class ServiceMetrics {
  /** The stages timed for every event. */
  public enum Stage {
    FETCH, DECODE, QUEUE, INFERENCE, PUBLISH
  }

  private final MeterRegistry registry;
  private final Counter results;
  private final Map<Reason, Counter> deadLetters = new EnumMap<>(Reason.class);
  private final Map<Stage, Timer> stages = new EnumMap<>(Stage.class);
  private final Timer latency;
  private final DistributionSummary batchSize;
  private final Counter inferenceRuns;
  private final RecentResults recent = new RecentResults(12);

  public ServiceMetrics(MeterRegistry registry) {
    this.registry = registry;
    results = Counter.builder("loraflow.events").tag("outcome", "result").tag("reason", "none")
        .description("Events by outcome: a result or a dead letter with its reason").register(registry);
    for (Reason r : Reason.values()) {
      deadLetters.put(r, Counter.builder("loraflow.events").tag("outcome", "dead_letter")
          .tag("reason", r.name()).description("Events by outcome: a result or a dead letter with its reason")
          .register(registry));
    }
    for (Stage s : Stage.values()) {
      stages.put(s, Timer.builder("loraflow.stage.duration").tag("stage", s.name().toLowerCase())
          .description("Time an event spent in each stage").publishPercentiles(0.5, 0.95, 0.99)
          .distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry));
    }
    latency = Timer.builder("loraflow.event.latency")
        .description("From the record's arrival to its outcome's acknowledgement")
        .publishPercentiles(0.5, 0.95, 0.99).publishPercentileHistogram()
        .distributionStatisticExpiry(Duration.ofMinutes(1)).register(registry);
    batchSize = DistributionSummary.builder("loraflow.batch.size").description("Events per inference run")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
    inferenceRuns = Counter.builder("loraflow.inference.runs").description("Inference runs").register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    registry.gauge("process.resident.memory.bytes", this, m -> residentBytes());
    BuildInfo build = BuildInfo.current();
    io.micrometer.core.instrument.Gauge.builder("loraflow.build.info", () -> 1)
        .description("1, labelled with the running build's version and git commit")
        .tags("version", build.version(), "commit", build.commit()).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void result(long latencyNanos) {
    results.increment();
    latency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  public void deadLetter(Reason reason, long latencyNanos) {
    deadLetters.get(reason).increment();
    latency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  public void stage(Stage stage, long nanos) {
    stages.get(stage).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  public void inferenceRun(int events) {
    inferenceRuns.increment();
    batchSize.record(events);
  }

  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    io.micrometer.core.instrument.Gauge.builder(name, value).description(description).tags(tags)
        .register(registry);
  }

  public long results() {
    return (long) results.count();
  }

  public long deadLetters() {
    return deadLetters.values().stream().mapToLong(c -> (long) c.count()).sum();
  }

  public long inferenceRuns() {
    return (long) inferenceRuns.count();
  }

  public Timer latency() {
    return latency;
  }

  public DistributionSummary batchSize() {
    return batchSize;
  }

  public RecentResults recent() {
    return recent;
  }

  /** Resident set size from /proc (Linux); -1 elsewhere. */
  private static double residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: no RSS.
    }
    return -1;
  }
}
