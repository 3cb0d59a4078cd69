package io.loraflow.costs;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.LoadAverage;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Measures three costs side by side on the in-JVM test broker (a main program, not a test: speed
 * is never asserted in tests). Usage:
 *
 * <pre>
 *   bench/costs.sh [--cases 1,2,3] [--events 5000] [--scale-events 20000] [--task-events 5000]
 *                  [--out docs/costs.md]
 * </pre>
 *
 * <ol>
 *   <li>exactly-once vs at-least-once (in-JVM service, generated depth-0 model and bundled model);
 *   <li>scale-out: 1, 2, 3 service JVMs in one group, extra ones started while events flow;
 *   <li>multi-task: the bundled backbone serving 8 tasks round-robin vs the merged single-task model.
 * </ol>
 *
 * Every workload is a backlog produced before the service starts. In-JVM runs count events/s from
 * the first event's processing start (result timestamp minus timingsMs.total) to the last outcome's
 * arrival at a read_committed consumer; scale-out runs from the first to the last outcome seen.
 */
public final class ServiceCosts {
  static final Path BUNDLED = Path.of("models/fashion-mnist").toAbsolutePath();
  static final int PARTITIONS = 6;

  final List<String> report = new ArrayList<>();
  final Path tmp;
  final Path root;
  final List<Path> images;

  ServiceCosts() throws IOException {
    tmp = Files.createTempDirectory("loraflow-costs");
    root = tmp.resolve("images");
    Files.createDirectories(root);
    List<Path> list = new ArrayList<>();
    try (Stream<Path> s = Files.list(BUNDLED.resolve("samples"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().toList()) {
        Path to = root.resolve(p.getFileName());
        Files.copy(p, to);
        list.add(to);
      }
    }
    images = list;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Set<String> cases = new TreeSet<>(Arrays.asList(opts.getOrDefault("cases", "1,2,3").split(",")));
    int events = Integer.parseInt(opts.getOrDefault("events", "5000"));
    int scaleEvents = Integer.parseInt(opts.getOrDefault("scale-events", "20000"));
    int taskEvents = Integer.parseInt(opts.getOrDefault("task-events", "5000"));
    Path outFile = Path.of(opts.getOrDefault("out", "docs/costs.md"));
    String command = "bench/costs.sh " + String.join(" ", args);

    ServiceCosts c = new ServiceCosts();
    TestBroker.get();
    String started = Instant.now().toString();
    String loadStart = load();
    try {
      if (cases.contains("1") || cases.contains("3")) {
        // JIT, ONNX Runtime and broker warm-up; not reported.
        c.inJvmRun("warmup", BUNDLED, 2000, Map.of(), i -> null);
      }
      if (cases.contains("1")) {
        c.exactlyOnce(events);
      }
      if (cases.contains("2")) {
        c.scaleOut(scaleEvents);
      }
      if (cases.contains("3")) {
        c.multiTask(taskEvents);
      }
    } finally {
      StringBuilder md = new StringBuilder();
      md.append("# Service costs: exactly-once, scale-out, multi-task\n\n");
      md.append("Measured by `src/test/java/io/loraflow/costs/ServiceCosts.java` (a main program, not a test).\n\n");
      md.append("- Date: ").append(started).append(" – ").append(Instant.now()).append('\n');
      md.append("- Machine: ").append(machine()).append('\n');
      md.append("- Load average at start: ").append(loadStart).append(", at end: ").append(load())
          .append(" (shared machine; each row carries the load when it ran)\n");
      md.append("- Command: `").append(command).append("`\n");
      md.append("- Broker: the in-JVM test broker (Kafka 4.4, KRaft, one node) inside the measuring JVM; "
          + "every workload is a backlog produced before the service starts; in-JVM runs count events/s "
          + "from the first event's processing start (its result's timestamp minus timingsMs.total) to the "
          + "last outcome's arrival at a `read_committed` consumer (the first arrival would favour "
          + "exactly_once, whose outputs appear only at a transaction commit); the scale-out runs count from "
          + "the first to the last outcome seen.\n\n");
      for (String line : c.report) {
        md.append(line).append('\n');
      }
      Files.createDirectories(outFile.toAbsolutePath().getParent());
      Files.writeString(outFile, md.toString());
      System.out.println("\nwrote " + outFile.toAbsolutePath());
      System.exit(0);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Case 1: exactly-once vs at-least-once

  void exactlyOnce(int n) throws Exception {
    Path generated = OnnxModels.writePackage(tmp.resolve("gen-model"), "costs-gen", 16, 0);
    section("1. Exactly-once cost (issue 5)",
        n + " events (file paths of the 300 bundled sample PNGs), " + PARTITIONS + "-partition input, "
            + "one in-JVM ClassifierService with default settings (max.batch.size 32, max.in.flight 256 unless the row says 1024, "
            + "inference.threads 0 = per core, decode.threads 2). `service ms` = the result's "
            + "timingsMs.total (fetch → published); `visible ms` = arrival at a read_committed consumer "
            + "minus the result's timestamp (EOS adds the wait for the transaction commit); `e2e ms` = "
            + "their sum. EOS/ALO = events/s of exactly_once over at_least_once at the same commit.interval.ms, same model, same pass; `distinct ids` = distinct event ids among the outcomes read; "
            + "two passes (rows 1–12, 13–24), after an unreported 2,000-event warm-up run.");
    table("| model | guarantee | commit.interval.ms | max.in.flight | events/s | EOS/ALO | service ms p50/p99 | visible ms p50/p99 | e2e ms p50/p99 | mean batch | distinct ids | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (int rep = 1; rep <= 2; rep++) {
    for (Object[] m : new Object[][] {{"generated depth 0", generated}, {"bundled fashion-mnist", BUNDLED}}) {
      double base = 0;
      for (String[] g : new String[][] {{"at_least_once", "1000", "256"}, {"exactly_once", "1000", "256"},
          {"at_least_once", "100", "256"}, {"exactly_once", "100", "256"},
          {"at_least_once", "100", "1024"}, {"exactly_once", "100", "1024"}}) {
        Map<String, String> extra = new HashMap<>();
        extra.put(LoraflowConfig.PROCESSING_GUARANTEE, g[0]);
        extra.put(LoraflowConfig.COMMIT_INTERVAL_MS, g[1]);
        extra.put(LoraflowConfig.MAX_IN_FLIGHT, g[2]);
        Stats s = inJvmRun("eos", (Path) m[1], n, extra, i -> null);
        if (g[0].equals("at_least_once")) {
          base = s.rate;
        }
        row(String.format(Locale.ROOT, "| %s, pass %d | %s | %s | %s | %.0f | %.2f | %s | %s | %s | %.1f | %d/%d | %s |", m[0], rep, g[0], g[1], g[2],
            s.rate, s.rate / base, s.p(s.service), s.p(s.visible), s.p(s.e2e), s.meanBatch, s.distinct, n, s.load));
      }
    }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Case 3: multi-task

  void multiTask(int n) throws Exception {
    Path multi = tmp.resolve("multi8");
    Path merged = tmp.resolve("merged");
    copyPackage(multi);
    copyPackage(merged);
    JsonObject manifest = new JsonObject(Files.readString(BUNDLED.resolve("manifest.json")));
    JsonObject tasks = new JsonObject();
    for (int t = 0; t < 8; t++) {
      boolean digits = t % 2 == 1;
      String name = "t" + t;
      Files.copy(BUNDLED.resolve(digits ? "adapters/digits.onnx_adapter" : "adapters/fashion.onnx_adapter"),
          multi.resolve("adapters/" + name + ".onnx_adapter"));
      tasks.put(name, new JsonObject().put("adapter", "adapters/" + name + ".onnx_adapter")
          .put("labels", digits ? "adapters/digits.labels.txt" : "labels.txt").put("num_classes", 10)
          .put("lora_rank", digits ? 8 : 0));
    }
    JsonObject m8 = manifest.copy();
    m8.remove("parity");
    m8.put("tasks", tasks).put("default_task", "t0");
    Files.writeString(multi.resolve("manifest.json"), m8.encodePrettily());
    JsonObject m1 = manifest.copy();
    for (String k : List.of("parity", "tasks", "lora_base_model", "default_task", "lora_parameters")) {
      m1.remove(k);
    }
    Files.writeString(merged.resolve("manifest.json"), m1.encodePrettily());

    section("3. Multi-task (issue 8)",
        n + " events, " + PARTITIONS + "-partition input, one in-JVM ClassifierService, default settings. "
            + "`8 tasks` = a copy of models/fashion-mnist whose manifest lists t0..t7 (even: the fashion "
            + "adapter, odd: the digits adapter, each copied under its own name), requests round-robin "
            + "over t0..t7 on every partition; `merged` = the same package with no lora_base_model and no "
            + "tasks, so model.onnx is served directly. Runs alternate merged/8 tasks twice, with the default "
            + "settings and with commit.interval.ms 100 + max.in.flight 1024 (so that the commit cadence, "
            + "not the model, is less likely the limit). `inference µs/event` = mean of the result's "
            + "timingsMs.inference / batchSize. Target: ratio ≥ 0.80.");
    table("| package | settings | run | events/s | ratio to merged | mean batch | batch p50/p99 | inference ms/batch p50 | inference µs/event mean | service ms p50/p99 | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|");
    List<String> ratios = new ArrayList<>();
    for (String[] set : new String[][] {{"defaults (commit 1000, in-flight 256)", "1000", "256"},
        {"commit 100, in-flight 1024", "100", "1024"}}) {
      Map<String, String> extra = Map.of(LoraflowConfig.COMMIT_INTERVAL_MS, set[1], LoraflowConfig.MAX_IN_FLIGHT, set[2]);
      for (int rep = 1; rep <= 2; rep++) {
        Stats a = inJvmRun("merged", merged, n, extra, i -> null);
        double mergedRate = a.rate;
        row(String.format(Locale.ROOT, "| merged single task | %s | %d | %.0f | 1.00 | %.1f | %s | %.2f | %.0f | %s | %s |", set[0], rep,
            a.rate, a.meanBatch, a.pInt(a.batch), a.pct(a.inference, 50), a.infPerEvent, a.p(a.service), a.load));
        Stats b = inJvmRun("multi8", multi, n, extra, i -> "t" + (i % 8));
        ratios.add(String.format(Locale.ROOT, "%.2f (%s, run %d)", b.rate / mergedRate, set[0], rep));
        row(String.format(Locale.ROOT, "| 8 tasks round-robin | %s | %d | %.0f | %.2f | %.1f | %s | %.2f | %.0f | %s | %s |", set[0], rep,
            b.rate, b.rate / mergedRate, b.meanBatch, b.pInt(b.batch), b.pct(b.inference, 50), b.infPerEvent, b.p(b.service), b.load));
        if (b.deadLetters > 0 || b.distinct < n) {
          row("| (8 tasks: " + b.deadLetters + " dead letters, " + b.distinct + " distinct ids) | | | | | | | | | | |");
        }
      }
    }
    report.add("");
    report.add("Ratio 8 tasks / merged: " + String.join(", ", ratios) + ".");
  }

  void copyPackage(Path to) throws IOException {
    Files.createDirectories(to.resolve("adapters"));
    for (String f : List.of("model.onnx", "model_lora_base.onnx", "labels.txt", "adapters/fashion.onnx_adapter",
        "adapters/digits.onnx_adapter", "adapters/digits.labels.txt")) {
      Files.copy(BUNDLED.resolve(f), to.resolve(f));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Case 2: scale-out

  void scaleOut(int n) throws Exception {
    section("2. Scale-out (issue 7)",
        n + " events (bundled sample PNGs as paths), " + PARTITIONS + "-partition input, bundled model, "
            + "k service JVMs (ServiceProcess, -Xmx512m, SerialGC) in one group, each with "
            + "inference.threads=1, decode.threads=1, max.batch.size 32, max.in.flight 256, commit.interval.ms "
            + "100, at_least_once. Instance 1 is started and ready, the backlog is produced, and for k > 1 "
            + "the other k−1 JVMs are launched once 10% of the events have an outcome (they join while "
            + "events flow). `all-joined events/s` = rate over the events finished after every instance "
            + "logged an assignment. Completeness from OutcomeTracker (every input offset has an outcome). "
            + "**This machine has 2 cores: 3 JVMs cannot scale compute here; the point is correctness while "
            + "instances join and the per-instance overhead.**");
    table("| instances | events/s (whole run) | all-joined events/s | ratio to 1 | complete | duplicates | anomalies | joined after s | load |",
        "|---|---|---|---|---|---|---|---|---|");
    double base = 0;
    List<String> notes = new ArrayList<>();
    for (int k = 1; k <= 3; k++) {
      String in = TestBroker.createTopic(TestBroker.uniqueName("scale-in"), PARTITIONS);
      String out = TestBroker.createTopic(TestBroker.uniqueName("scale-out"), 3);
      String dlq = TestBroker.createTopic(TestBroker.uniqueName("scale-dlq"), 1);
      String group = TestBroker.uniqueName("scale-group");
      Map<String, String> s = TestSettings.forServiceProcess(
          TestSettings.base(in, out, dlq, group, BUNDLED, root), 256);
      List<ServiceProcess> procs = new ArrayList<>();
      String ld = load();
      try {
        procs.add(ServiceProcess.start("costs-scale" + k + "-1", s, Duration.ofMinutes(2)));
        long t0 = System.nanoTime();
        produce(in, n, i -> null);
        Map<Integer, Long> ends = logEnds(in);
        try (OutcomeTracker tracker = new OutcomeTracker(in, ends, List.of(out, dlq))) {
          long firstAt = 0;
          long joinedAt = 0;
          long joinedDistinct = 0;
          boolean launched = k == 1;
          long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
          while (tracker.distinct() < n && System.nanoTime() < deadline) {
            long d = tracker.distinct();
            if (firstAt == 0 && d > 0) {
              firstAt = System.nanoTime();
            }
            if (!launched && d >= n / 10) {
              for (int j = 2; j <= k; j++) {
                procs.add(ServiceProcess.launch("costs-scale" + k + "-" + j, s));
              }
              launched = true;
            }
            if (launched && joinedAt == 0 && procs.size() == k && procs.stream().allMatch(ServiceProcess::hasAssignment)) {
              joinedAt = System.nanoTime();
              joinedDistinct = tracker.distinct();
            }
            Thread.sleep(50);
          }
          long endAt = System.nanoTime();
          if (k == 1) {
            joinedAt = firstAt;
            joinedDistinct = 0;
          }
          String missingNote = null;
          try {
            tracker.awaitAll(Duration.ofSeconds(30));
          } catch (AssertionError e) {
            missingNote = "k=" + k + ": " + e.getMessage() + "; committed offsets " + committed(group, in)
                + "; logs " + procs.stream().map(pr -> pr.logFile().toString()).collect(Collectors.joining(", "));
            System.out.println("INCOMPLETE " + missingNote);
          }
          Thread.sleep(2000);
          double rate = (n - 1) / ((endAt - firstAt) / 1e9);
          double joinedRate = joinedAt == 0 || endAt <= joinedAt ? Double.NaN
              : (n - joinedDistinct) / ((endAt - joinedAt) / 1e9);
          if (k == 1) {
            base = rate;
          }
          boolean complete = tracker.distinct() == n && tracker.missing(1).isEmpty();
          System.out.println("scale k=" + k + " " + tracker.summary());
          row(String.format(Locale.ROOT, "| %d | %.0f | %s | %.2f | %s | %d | %d | %s | %s |", k, rate,
              Double.isNaN(joinedRate) ? "n/a (joined after the end)" : String.format(Locale.ROOT, "%.0f", joinedRate),
              rate / base, complete ? "yes (" + tracker.distinct() + "/" + n + ")" : "NO " + tracker.distinct() + "/" + n,
              tracker.duplicates(), tracker.anomalies().size(),
              k == 1 || joinedAt == 0 ? "–" : String.format(Locale.ROOT, "%.1f (%d%% done)", (joinedAt - firstAt) / 1e9,
                  100 * joinedDistinct / n), ld + " → " + load()));
          if (missingNote != null) {
            notes.add(missingNote);
          }
        }
      } finally {
        for (ServiceProcess p : procs) {
          try {
            p.terminate(Duration.ofSeconds(30));
          } catch (Throwable e) {
            p.close();
          }
        }
      }
    }
    for (String note : notes) {
      report.add("");
      report.add("**Incomplete:** " + note);
    }
  }

  static Map<Integer, Long> committed(String group, String in) {
    try {
      Map<Integer, Long> out = new TreeMap<>();
      TestBroker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((tp, om) -> {
        if (tp.topic().equals(in) && om != null) {
          out.put(tp.partition(), om.offset());
        }
      });
      return out;
    } catch (Exception e) {
      return Map.of();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One in-JVM service run over a backlog of n events

  interface TaskOf {
    String task(int i);
  }

  Stats inJvmRun(String name, Path model, int n, Map<String, String> extra, TaskOf taskOf) throws Exception {
    String in = TestBroker.createTopic(TestBroker.uniqueName(name + "-in"), PARTITIONS);
    String out = TestBroker.createTopic(TestBroker.uniqueName(name + "-out"), 3);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName(name + "-dlq"), 1);
    Map<String, String> s = TestSettings.base(in, out, dlq, TestBroker.uniqueName(name + "-group"), model, root);
    s.put(LoraflowConfig.HTTP_PORT, "-1");
    s.putAll(extra);
    produce(in, n, taskOf);
    String ld = load();
    Collector col = new Collector(List.of(out, dlq));
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      Stats st = col.await(n, Duration.ofMinutes(3));
      st.load = ld + " → " + load();
      System.out.printf(Locale.ROOT, "%s %s: %d outcomes, %.0f events/s, dead=%d%n", name, extra, st.count, st.rate,
          st.deadLetters);
      return st;
    } finally {
      col.close();
      vertx.close().await();
    }
  }

  void produce(String topic, int n, TaskOf taskOf) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("acks", "all");
    p.put("linger.ms", "5");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        String id = "ev-" + i;
        JsonObject v = new JsonObject().put("id", id).put("image", images.get(i % images.size()).toString());
        String task = taskOf.task(i);
        if (task != null) {
          v.put("task", task);
        }
        producer.send(new ProducerRecord<>(topic, i % PARTITIONS, id.getBytes(StandardCharsets.UTF_8),
            v.encode().getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
  }

  static Map<Integer, Long> logEnds(String in) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int i = 0; i < PARTITIONS; i++) {
      latest.put(new TopicPartition(in, i), OffsetSpec.latest());
    }
    Map<Integer, Long> ends = new TreeMap<>();
    TestBroker.admin().listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
    return ends;
  }

  /** Reads outcomes (read_committed) in a background thread, noting arrival times. */
  static final class Collector implements AutoCloseable {
    final KafkaConsumer<byte[], byte[]> consumer;
    final Thread thread;
    volatile boolean running = true;
    final List<Object[]> seen = new ArrayList<>(); // arrival nanos, arrival millis, value

    Collector(List<String> topics) throws Exception {
      Properties p = new Properties();
      p.put("bootstrap.servers", TestBroker.bootstrapServers());
      p.put("isolation.level", "read_committed");
      p.put("auto.offset.reset", "earliest");
      p.put("enable.auto.commit", "false");
      consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> tps = new ArrayList<>();
      for (var e : TestBroker.admin().describeTopics(topics).allTopicNames().get().entrySet()) {
        e.getValue().partitions().forEach(i -> tps.add(new TopicPartition(e.getKey(), i.partition())));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      thread = new Thread(() -> {
        while (running) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
            long nanos = System.nanoTime();
            long millis = System.currentTimeMillis();
            JsonObject v = io.loraflow.testkit.DeadLetters.isDeadLetter(r) ? io.loraflow.testkit.DeadLetters.view(r)
                : new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
            synchronized (seen) {
              seen.add(new Object[] {nanos, millis, v});
            }
          }
        }
        consumer.close();
      }, "costs-collector");
      thread.start();
    }

    Stats await(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        synchronized (seen) {
          if (seen.size() >= n) {
            break;
          }
        }
        Thread.sleep(20);
      }
      List<Object[]> copy;
      synchronized (seen) {
        copy = new ArrayList<>(seen);
      }
      if (copy.size() < n) {
        System.out.println("WARNING: only " + copy.size() + " of " + n + " outcomes within " + timeout);
      }
      return new Stats(copy);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(5000);
    }
  }

  static final class Stats {
    int count;
    int distinct;
    int deadLetters;
    double rate;
    double meanBatch;
    double infPerEvent;
    String load = "";
    final double[] service;
    final double[] visible;
    final double[] e2e;
    final double[] inference;
    final double[] batch;

    Stats(List<Object[]> rows) {
      count = rows.size();
      double startMs = Double.MAX_VALUE;
      long lastMs = Long.MIN_VALUE;
      List<double[]> vals = new ArrayList<>();
      distinct = (int) rows.stream().map(r -> ((JsonObject) r[2]).getString("id")).distinct().count();
      for (Object[] r : rows) {
        lastMs = Math.max(lastMs, (Long) r[1]);
        JsonObject v = (JsonObject) r[2];
        if (v.containsKey("reason")) {
          deadLetters++;
          continue;
        }
        JsonObject t = v.getJsonObject("timingsMs");
        double total = t == null ? Double.NaN : t.getDouble("total", Double.NaN);
        double inf = t == null ? Double.NaN : t.getDouble("inference", Double.NaN);
        long published = Instant.parse(v.getString("timestamp")).toEpochMilli();
        double vis = (Long) r[1] - published;
        if (!Double.isNaN(total)) {
          startMs = Math.min(startMs, published - total);
        }
        vals.add(new double[] {total, vis, total + vis, inf, v.getInteger("batchSize", 0)});
      }
      // From the first event's processing start (its result's timestamp minus timingsMs.total) to the
      // last outcome's arrival: counting from the first arrival would favour exactly_once, whose
      // first outcomes only become visible with the first transaction commit.
      rate = count < 2 ? 0 : count / ((lastMs - startMs) / 1e3);
      service = col(vals, 0);
      visible = col(vals, 1);
      e2e = col(vals, 2);
      inference = col(vals, 3);
      batch = col(vals, 4);
      meanBatch = Arrays.stream(batch).average().orElse(0);
      infPerEvent = 1000 * vals.stream().filter(v -> !Double.isNaN(v[3]) && v[4] > 0).mapToDouble(v -> v[3] / v[4])
          .average().orElse(Double.NaN);
    }

    static double[] col(List<double[]> vals, int i) {
      double[] a = vals.stream().mapToDouble(v -> v[i]).filter(d -> !Double.isNaN(d)).toArray();
      Arrays.sort(a);
      return a;
    }

    double pct(double[] a, double q) {
      if (a.length == 0) {
        return Double.NaN;
      }
      return a[Math.min(a.length - 1, (int) Math.ceil(q / 100.0 * a.length) - 1)];
    }

    String p(double[] a) {
      return String.format(Locale.ROOT, "%.1f / %.1f", pct(a, 50), pct(a, 99));
    }

    String pInt(double[] a) {
      return String.format(Locale.ROOT, "%.0f / %.0f", pct(a, 50), pct(a, 99));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reporting

  void section(String title, String text) {
    report.add("");
    report.add("## " + title);
    report.add("");
    report.add(text);
    report.add("");
    System.out.println("\n== " + title);
  }

  void table(String header, String sep) {
    report.add(header);
    report.add(sep);
    System.out.println(header);
  }

  void row(String line) {
    report.add(line);
    System.out.println(line);
  }

  static String load() {
    return LoadAverage.read("/");
  }

  static String machine() {
    String cpu = "?";
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.replaceFirst(".*:\\s*", ""))
          .orElse("?");
    } catch (IOException ignored) {
      // keep "?"
    }
    long memMb = -1;
    try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
      memMb = lines.filter(l -> l.startsWith("MemTotal")).findFirst()
          .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024).orElse(-1L);
    } catch (IOException ignored) {
      // keep -1
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memMb + " MB RAM, "
        + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", Java "
        + System.getProperty("java.version");
  }
}
