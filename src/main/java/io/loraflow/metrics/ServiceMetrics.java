package io.loraflow.metrics;

import io.loraflow.BuildInfo;
import io.loraflow.error.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The service's meters, in Triton's split and Prometheus's conventions: results and dead letters
 * (by reason) per task, time per stage (queue, fetch, decode+preprocess, inference, publish) and
 * end to end, batch sizes and inference runs per task. Timers are histograms with fixed buckets
 * ({@link #LATENCY_BUCKETS}), so replicas aggregate ({@code histogram_quantile} over the summed
 * buckets); constant facts are {@code _info} gauges of value 1 ({@link #info}). Gauges (in flight,
 * paused partitions) are registered by their owners through {@link #gauge};
 * {@code loraflow_build_info} names the running version and commit. Consumer lag per
 * partition comes from the Kafka client's own metrics
 * ({@code kafka_consumer_fetch_manager_records_lag}). Any thread.
 *
 * <p>A dead letter whose request could not be read, or named a task the service does not serve,
 * counts under {@code task=""}: Prometheus treats an empty label as no label, and a task name a
 * producer made up must not become a series.
 */
public final class ServiceMetrics {
  /** The stages timed for every event. */
  public enum Stage {
    FETCH, DECODE, QUEUE, INFERENCE, PUBLISH
  }

  /**
   * Bucket bounds of every latency histogram, 1 ms to 1 min: stages take from well under a
   * millisecond (queue, publish) to seconds (a slow image host), and end-to-end latency under a
   * backlog reaches tens of seconds.
   */
  static final Duration[] LATENCY_BUCKETS = millis(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500,
      5_000, 10_000, 30_000, 60_000);

  /**
   * The Prometheus registry the service and the Vert.x metrics module share. Vert.x's own timers
   * (HTTP server and client response times, pool waits) would be summaries without quantiles; the
   * filter makes them histograms with the service's buckets, so they aggregate across replicas too.
   * It must be in place before Vert.x registers its meters.
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !id.getName().startsWith("vertx.")) {
          return config;
        }
        double[] slos = new double[LATENCY_BUCKETS.length];
        for (int i = 0; i < slos.length; i++) {
          slos[i] = LATENCY_BUCKETS[i].toNanos();
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(slos).build().merge(config);
      }
    });
    return registry;
  }

  private final MeterRegistry registry;
  /** Per task that ran; the keys are served tasks only. */
  private final Map<String, TaskMeters> tasks = new ConcurrentHashMap<>();
  /** Dead letters and latency per task, "" for events without one. */
  private final Map<String, Outcomes> outcomes = new ConcurrentHashMap<>();
  private final Map<Stage, Timer> stages = new EnumMap<>(Stage.class);
  /** Skipped records by reason (fixed labels). */
  private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
  /**
   * Latency percentiles over the last minute for the dashboard, kept out of the exported registry:
   * Prometheus gets the histogram, from which percentiles aggregate across replicas.
   */
  private final Timer recentLatency;
  private final RecentResults recent = new RecentResults(12);

  public ServiceMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Stage s : Stage.values()) {
      stages.put(s, Timer.builder("loraflow.stage.duration").tag("stage", s.name().toLowerCase())
          .description("Time an event spent in each stage").serviceLevelObjectives(LATENCY_BUCKETS)
          .register(registry));
    }
    outcomes("");
    recentLatency = Timer.builder("loraflow.event.latency.recent").publishPercentiles(0.5, 0.95, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(1)).register(new SimpleMeterRegistry());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    registry.gauge("process.resident.memory.bytes", this, m -> residentBytes());
    BuildInfo build = BuildInfo.current();
    info("loraflow.build", "The running build's version and git commit", "version", build.version(),
        "commit", build.commit());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Registers a served task's series at zero, before its first event (so alerts see them). */
  public void task(String task) {
    tasks.computeIfAbsent(task, name -> new TaskMeters(registry, name));
    outcomes(task);
  }

  /** An event of {@code task} got its result. */
  public void result(String task, long latencyNanos) {
    meters(task).results.increment();
    latency(task, latencyNanos);
  }

  /** An event became a dead letter; {@code task} null when it has none a series may name. */
  public void deadLetter(Reason reason, String task, long latencyNanos) {
    String label = task == null ? "" : task;
    outcomes(label).deadLetter(reason).increment();
    latency(label, latencyNanos);
  }

  /** A record that asked for no classification (see {@code NotClassified}); {@code reason} is a fixed label. */
  public void skipped(String reason) {
    skipped.computeIfAbsent(reason, r -> Counter.builder("loraflow.events.skipped").tag("reason", r)
        .description("Records that asked for no classification (an S3 delete notification): no outcome")
        .register(registry)).increment();
  }

  /** Skipped records so far, over every reason. */
  public long skipped() {
    return skipped.values().stream().mapToLong(c -> (long) c.count()).sum();
  }

  public void stage(Stage stage, long nanos) {
    stages.get(stage).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /**
   * One inference run of {@code events} events of {@code task} that took {@code nanos} in ONNX
   * Runtime (the run alone; the inference stage adds the wait for the inference thread).
   */
  public void inferenceRun(String task, int events, long nanos) {
    TaskMeters t = meters(task);
    t.inferenceRuns.increment();
    t.batchSize.record(events);
    t.runDuration.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value).description(description).tags(tags).register(registry);
  }

  /**
   * A constant fact as an info metric: {@code NAME_info{tags} 1} ({@code name} without the
   * {@code .info} suffix), e.g. {@code loraflow_inference_device_info{device="cpu"} 1}.
   */
  public void info(String name, String description, String... tags) {
    Gauge.builder(name + ".info", () -> 1).description(description).tags(tags).register(registry);
  }

  public long results() {
    return tasks.values().stream().mapToLong(t -> (long) t.results.count()).sum();
  }

  public long deadLetters() {
    return outcomes.values().stream().flatMap(o -> o.deadLetters.values().stream())
        .mapToLong(c -> (long) c.count()).sum();
  }

  /** Events run through inference so far (the batch sizes' sum), over every task. */
  public double batchRows() {
    return tasks.values().stream().mapToDouble(t -> t.batchSize.totalAmount()).sum();
  }

  /** Dead letters so far by reason, then task ("" for none), non-zero counts only. */
  public JsonObject deadLettersByReason() {
    JsonObject out = new JsonObject();
    outcomes.forEach((task, o) -> o.deadLetters.forEach((reason, counter) -> {
      long n = (long) counter.count();
      if (n > 0) {
        JsonObject byTask = out.getJsonObject(reason.name());
        if (byTask == null) {
          byTask = new JsonObject();
          out.put(reason.name(), byTask);
        }
        byTask.put(task, n);
      }
    }));
    return out;
  }

  public long inferenceRuns() {
    return tasks.values().stream().mapToLong(t -> (long) t.inferenceRuns.count()).sum();
  }

  /** Events per inference run since start, over every task; 0 before the first run. */
  public double meanBatchSize() {
    long runs = 0;
    double events = 0;
    for (TaskMeters t : tasks.values()) {
      runs += t.batchSize.count();
      events += t.batchSize.totalAmount();
    }
    return runs == 0 ? 0 : events / runs;
  }

  /** The largest recent batch over every task (Micrometer's decaying max). */
  public double maxBatchSize() {
    return tasks.values().stream().mapToDouble(t -> t.batchSize.max()).max().orElse(0);
  }

  /** End-to-end latency over the last minute in ms, as {@code {"p50": …, "p95": …, "p99": …}}; not exported. */
  public JsonObject recentLatencyMs() {
    JsonObject out = new JsonObject();
    for (ValueAtPercentile v : recentLatency.takeSnapshot().percentileValues()) {
      out.put("p" + Math.round(v.percentile() * 100), v.value(TimeUnit.MILLISECONDS));
    }
    return out;
  }

  public RecentResults recent() {
    return recent;
  }

  private void latency(String task, long nanos) {
    outcomes(task).latency.record(nanos, TimeUnit.NANOSECONDS);
    recentLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  private TaskMeters meters(String task) {
    return tasks.computeIfAbsent(task, name -> new TaskMeters(registry, name));
  }

  private Outcomes outcomes(String task) {
    return outcomes.computeIfAbsent(task, name -> new Outcomes(registry, name));
  }

  /**
   * Dead letters by reason and end-to-end latency of a task. The reasons a task's events can
   * meet are series from the start, at zero: for {@code task=""} those raised before a task is
   * known (ingest), for a served task every other; any other pair appears when it first happens.
   */
  private static final class Outcomes {
    final Map<Reason, Counter> deadLetters = new ConcurrentHashMap<>();
    final Timer latency;
    private final MeterRegistry registry;
    private final String task;

    Outcomes(MeterRegistry registry, String task) {
      this.registry = registry;
      this.task = task;
      for (Reason r : Reason.values()) {
        if (task.isEmpty() == (r.stage() == Reason.Stage.INGEST)) {
          deadLetter(r);
        }
      }
      latency = Timer.builder("loraflow.event.latency").tag("task", task)
          .description("From the record's arrival to its outcome's acknowledgement")
          .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    Counter deadLetter(Reason reason) {
      return deadLetters.computeIfAbsent(reason, r -> Counter.builder("loraflow.dead.letters")
          .tag("reason", r.name()).tag("task", task)
          .description("Events published to the dead-letter topic, by reason").register(registry));
    }
  }

  /** What only a served task has: results, batches and inference runs. */
  private static final class TaskMeters {
    final Counter results;
    final DistributionSummary batchSize;
    final Counter inferenceRuns;
    final Timer runDuration;

    TaskMeters(MeterRegistry registry, String task) {
      results = Counter.builder("loraflow.results").tag("task", task)
          .description("Events classified and published").register(registry);
      batchSize = DistributionSummary.builder("loraflow.batch.size").tag("task", task)
          .description("Events per inference run").serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
          .register(registry);
      inferenceRuns = Counter.builder("loraflow.inference.runs").tag("task", task)
          .description("Inference runs").register(registry);
      runDuration = Timer.builder("loraflow.inference.run.duration").tag("task", task)
          .description("One inference run in ONNX Runtime, whatever its batch size")
          .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }
  }

  private static Duration[] millis(double... bounds) {
    Duration[] out = new Duration[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      out[i] = Duration.ofNanos(Math.round(bounds[i] * 1_000_000));
    }
    return out;
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
