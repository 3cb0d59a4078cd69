package io.loraflow.bench;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Recording;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The measurements: bare ORT, the service end to end, the passthroughs, paced latency. */
final class Runs {
  static final int IN_PARTITIONS = 3;

  private final Vertx vertx;
  private final Path jfrDir;
  private final long timeoutMs;

  Runs(Vertx vertx, Path jfrDir, long timeoutMs) {
    this.vertx = vertx;
    this.jfrDir = jfrDir;
    this.timeoutMs = timeoutMs;
  }

  /** Topics and group of one run. */
  record Topics(String in, String out, String dlq, String group) {
    static Topics create(String prefix) {
      return new Topics(TestBroker.createTopic(TestBroker.uniqueName(prefix + "-in"), IN_PARTITIONS),
          TestBroker.createTopic(TestBroker.uniqueName(prefix + "-out"), IN_PARTITIONS),
          TestBroker.createTopic(TestBroker.uniqueName(prefix + "-dlq"), 1),
          TestBroker.uniqueName(prefix + "-group"));
    }
  }

  // ---------------------------------------------------------------- bare ONNX Runtime

  /**
   * Bare ORT: the model's own {@link InferenceSession} (same options as the service), fed
   * batches that were decoded and preprocessed beforehand, run back to back for {@code seconds}.
   */
  JsonObject bare(Path modelDir, int threads, int batch, double seconds, List<Path> images, String profile)
      throws Exception {
    ModelPackage model = ModelPackage.load(modelDir);
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    try (InferenceSession session = InferenceSession.open(model, "cpu", threads, batch)) {
      Buffer buf = session.allocate(batch);
      for (int i = 0; i < batch; i++) {
        DecodedImage img = decoder.decode(Files.readAllBytes(images.get(i % images.size())));
        pre.writeTo(img, buf, i * model.sampleValues());
      }
      session.run(buf, batch); // warm-up beyond open()'s
      Recording rec = profile == null ? null : Profiles.start(profile);
      double cpu0 = cpuSeconds();
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      long runs = 0;
      long now;
      do {
        session.run(buf, batch);
        runs++;
        now = System.nanoTime();
      } while (now < end || runs < 2);
      double s = (now - start) / 1e9;
      JsonObject out = new JsonObject().put("imagesPerSec", runs * batch / s).put("runs", runs)
          .put("seconds", s).put("threads", threads).put("batch", batch)
          .put("jvmCpuCores", (cpuSeconds() - cpu0) / s)
          .put("jvmCpuMsPerImage", (cpuSeconds() - cpu0) * 1000 / (runs * batch));
      if (rec != null) {
        out.put("profile", Profiles.stop(rec, jfrDir));
      }
      return out;
    }
  }

  /** CPU seconds this JVM (service, broker, harness) has used. */
  static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
  }

  // ---------------------------------------------------------------- producers

  static KafkaProducer<byte[], byte[]> producer(boolean linger) {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("acks", "all");
    p.put("linger.ms", linger ? "5" : "0");
    p.put("batch.size", String.valueOf(256 * 1024));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static byte[] event(String id, Path image, long t) {
    return event(id, filePath(image), t);
  }

  private static byte[] event(String id, String reference, long t) {
    return new JsonObject().put("id", id).put("image", reference)
        .put("attributes", new JsonObject().put("t", t)).encode().getBytes(StandardCharsets.UTF_8);
  }

  /** An image's reference as a plain file path. */
  static String filePath(Path image) {
    return image.toAbsolutePath().toString();
  }

  /** Writes {@code n} image requests (plain file paths) to {@code topic}, acknowledged. */
  static void fill(String topic, int n, List<Path> images) {
    fill(topic, n, images, Runs::filePath);
  }

  /** Writes {@code n} image requests to {@code topic}, each image named by {@code reference}. */
  static void fill(String topic, int n, List<Path> images, Function<Path, String> reference) {
    try (KafkaProducer<byte[], byte[]> p = producer(true)) {
      for (int i = 0; i < n; i++) {
        String id = "b-" + i;
        p.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
            event(id, reference.apply(images.get(i % images.size())), 0)));
      }
      p.flush();
    }
  }

  /**
   * Sends requests at {@code rate}/s for {@code seconds} on this thread (open loop: the schedule
   * does not wait for the service), each stamped with its send time. Returns the number sent.
   */
  static long paced(String topic, double rate, double seconds, List<Path> images) {
    long sent = 0;
    try (KafkaProducer<byte[], byte[]> p = producer(false)) {
      long start = System.nanoTime();
      long total = Math.max(1, (long) (rate * seconds));
      double interval = 1e9 / rate;
      for (long i = 0; i < total; i++) {
        long due = start + (long) (i * interval);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        String id = "p-" + i;
        p.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
            event(id, images.get((int) (i % images.size())), System.nanoTime())));
        sent++;
      }
      p.flush();
    }
    return sent;
  }

  // ---------------------------------------------------------------- the service

  static Map<String, String> settings(Topics t, Path model, List<Path> images) {
    Map<String, String> s = TestSettings.base(t.in(), t.out(), t.dlq(), t.group(), model,
        images.stream().map(p -> p.toAbsolutePath().getParent()).distinct().toArray(Path[]::new));
    s.put(LoraflowConfig.INFERENCE_DEVICE, "cpu");
    s.put(LoraflowConfig.HTTP_PORT, "-1");
    return s;
  }

  /**
   * One deployment of the service. Phase 1 (saturated): {@code backlog} requests wait in the
   * input topic before it starts; events/s is measured from result number {@code backlog/5} to
   * the last, so start-up and JIT warm-up are excluded. Phase 2 (optional): requests paced at
   * {@code pacedRate}/s for {@code pacedSeconds}; end-to-end latency from send to the result's
   * arrival at a consumer, the first 20 % of the phase excluded.
   */
  JsonObject service(Path model, Map<String, String> overrides, List<Path> images, int backlog,
      double pacedRate, double pacedSeconds, String profile) throws Exception {
    return service(model, overrides, images, Runs::filePath, backlog, pacedRate, pacedSeconds, profile);
  }

  /** {@link #service} with the backlog's images named by {@code reference}. */
  JsonObject service(Path model, Map<String, String> overrides, List<Path> images,
      Function<Path, String> reference, int backlog, double pacedRate, double pacedSeconds, String profile)
      throws Exception {
    Topics t = Topics.create("svc");
    Map<String, String> s = settings(t, model, images);
    s.putAll(overrides);
    LoraflowConfig config = LoraflowConfig.of(s);
    JsonObject out = new JsonObject().put("settings", new JsonObject()
        .put("max.batch.size", config.getInt(LoraflowConfig.MAX_BATCH_SIZE))
        .put("max.queue.delay.ms", config.getLong(LoraflowConfig.MAX_QUEUE_DELAY_MS))
        .put("decode.threads", config.getInt(LoraflowConfig.DECODE_THREADS))
        .put("inference.threads", config.getInt(LoraflowConfig.INFERENCE_THREADS))
        .put("max.in.flight", config.getInt(LoraflowConfig.MAX_IN_FLIGHT)));
    fill(t.in(), backlog, images, reference);
    ClassifierService service = new ClassifierService(config);
    try (Collector c = new Collector(TestBroker.bootstrapServers(), t.out(), t.dlq(), Math.max(1, backlog / 5),
        backlog, false)) {
      Recording rec = profile == null ? null : Profiles.start(profile);
      String id = vertx.deployVerticle(service).await();
      try {
        boolean done = c.await(timeoutMs);
        out.put("jvmCpuCores", c.cpuCores()).put("jvmCpuMsPerEvent", c.cpuMsPerEvent())
            .put("threadCpu", c.threadCpu()).put("stageMeanUs", stageMeans(service.metrics()));
        long results = service.metrics().results();
        long runs = service.metrics().inferenceRuns();
        out.put("events", backlog).put("eventsPerSec", c.rate()).put("measuredSeconds", c.measuredSeconds())
            .put("complete", done).put("received", c.count()).put("deadLetters", c.deadLetters())
            .put("meanBatch", runs == 0 ? 0 : (double) results / runs);
        io.micrometer.core.instrument.Gauge hitRatio = service.metrics().registry().find("loraflow.cache.hit.ratio").gauge();
        if (hitRatio != null) {
          out.put("cacheHitRatio", hitRatio.value());
        }
        if (rec != null) {
          out.put("profile", Profiles.stop(rec, jfrDir));
        }
        if (pacedRate > 0 && done) {
          out.put("paced", pacedPhase(t, pacedRate, pacedSeconds, images, service.metrics()));
        }
      } finally {
        vertx.undeploy(id).await();
      }
    }
    return out;
  }

  /**
   * The service as production runs it: its own JVM (java -cp … io.loraflow.Main serve), long
   * running. {@code warmup + backlog} requests wait in the input topic; events/s and CPU (this
   * JVM's and the service process's, per thread group) count from result {@code warmup} to the
   * last, so the service's JIT has settled. In the benchmark's own JVM a fresh service per run
   * shares its compiled code and profiles with the broker, the clients and the earlier runs, and
   * the JIT kept recompiling it (70-78 µs/event of compiler threads in 60,000-event runs).
   */
  JsonObject serviceProcess(Path model, Map<String, String> overrides, List<Path> images, int warmup, int backlog)
      throws Exception {
    Topics t = Topics.create("proc");
    Map<String, String> s = settings(t, model, images);
    s.putAll(overrides);
    fill(t.in(), warmup + backlog, images);
    JsonObject out = new JsonObject().put("jvm", "own process, -Xmx1g, default GC").put("warmupEvents", warmup);
    try (Collector c = new Collector(TestBroker.bootstrapServers(), t.out(), t.dlq(), Math.max(1, warmup),
        warmup + backlog, false);
        ServiceProcess sp = ServiceProcess.launch("bench-service", s, "io.loraflow.Main",
            List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError"))) {
      c.countProcess(sp.pid());
      long deadline = System.currentTimeMillis() + timeoutMs;
      boolean done = false;
      while (!done && sp.isAlive() && System.currentTimeMillis() < deadline) {
        done = c.await(200);
      }
      out.put("events", backlog).put("eventsPerSec", c.rate()).put("measuredSeconds", c.measuredSeconds())
          .put("complete", done).put("received", c.count()).put("deadLetters", c.deadLetters())
          .put("jvmCpuCores", c.cpuCores()).put("jvmCpuMsPerEvent", c.cpuMsPerEvent()).put("threadCpu", c.threadCpu());
      if (!sp.isAlive()) {
        out.put("error", "the service process ended: " + sp.tail(20));
      }
    }
    return out;
  }

  /**
   * The {@link #timers} as mean wall-clock µs (per event; the ORT run per run) over the whole
   * deployment, warm-up and waiting included.
   */
  static JsonObject stageMeans(ServiceMetrics metrics) {
    JsonObject m = new JsonObject();
    timers(metrics).forEach((name, countAndMs) -> m.put(name, countAndMs[0] == 0 ? null
        : Math.round(countAndMs[1] * 1000 / countAndMs[0] * 10) / 10.0));
    return m;
  }

  // ---------------------------------------------------------------- the plain poll loop

  /**
   * The plain poll-loop baseline ({@link PlainLoop}) on a backlog of the same requests as
   * {@link #service}, timed by the same collector from result {@code backlog/5} to the last.
   */
  JsonObject plainLoop(Path model, int threads, int batch, List<Path> images, int backlog) throws Exception {
    Topics t = Topics.create("plain");
    fill(t.in(), backlog, images);
    try (Collector c = new Collector(TestBroker.bootstrapServers(), t.out(), t.dlq(), Math.max(1, backlog / 5),
        backlog, false);
        PlainLoop loop = new PlainLoop(model, threads, batch, TestBroker.bootstrapServers(), t.in(), t.out(), t.group())) {
      loop.start();
      long deadline = System.currentTimeMillis() + timeoutMs;
      boolean done = false;
      while (!done && loop.failure() == null && System.currentTimeMillis() < deadline) {
        done = c.await(200); // a loop that died would otherwise leave the collector waiting out the timeout
      }
      JsonObject out = new JsonObject().put("events", backlog).put("eventsPerSec", c.rate())
          .put("jvmCpuCores", c.cpuCores()).put("jvmCpuMsPerEvent", c.cpuMsPerEvent()).put("threadCpu", c.threadCpu())
          .put("measuredSeconds", c.measuredSeconds()).put("complete", done).put("received", c.count())
          .put("threads", threads).put("batch", batch);
      if (loop.failure() != null) {
        out.put("error", loop.failure().toString());
      }
      return out;
    }
  }

  private JsonObject pacedPhase(Topics t, double rate, double seconds, List<Path> images, ServiceMetrics metrics)
      throws Exception {
    long expected = Math.max(1, (long) (rate * seconds));
    try (Collector c = new Collector(TestBroker.bootstrapServers(), t.out(), t.dlq(), 1, expected, true)) {
      // The collector starts at the beginning: skip what phase 1 left there.
      long before = waitQuiet(c);
      c.latencyFrom(System.nanoTime() + (long) (seconds * 0.2e9));
      Map<String, double[]> timersBefore = timers(metrics);
      long[] gcBefore = gc();
      long resultsBefore = metrics.results();
      long runsBefore = metrics.inferenceRuns();
      long start = System.nanoTime();
      AtomicLong sent = new AtomicLong();
      Thread producer = new Thread(() -> sent.set(paced(t.in(), rate, seconds, images)), "bench-paced");
      producer.start();
      producer.join();
      double sendSeconds = (System.nanoTime() - start) / 1e9;
      long deadline = System.currentTimeMillis() + Math.max(10_000, (long) (seconds * 2000));
      while (c.count() - before < sent.get() && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      double[] l = c.latencyMs();
      return new JsonObject().put("targetRate", rate).put("sent", sent.get())
          .put("sentPerSec", sent.get() / sendSeconds).put("received", c.count() - before)
          .put("p50Ms", l[0]).put("p95Ms", l[1]).put("p99Ms", l[2]).put("maxMs", l[3])
          .put("samples", (long) l[4]).put("split", c.latencySplit())
          .put("stageMeanMs", meansSince(timersBefore, timers(metrics)))
          .put("gc", gcSince(gcBefore, seconds))
          .put("meanBatch", (metrics.results() - resultsBefore) / (double) Math.max(1, metrics.inferenceRuns() - runsBefore));
    }
  }

  /** Count and total ms of each stage timer and of the event latency (receipt to acknowledgement). */
  private static Map<String, double[]> timers(ServiceMetrics metrics) {
    Map<String, double[]> m = new java.util.LinkedHashMap<>();
    for (ServiceMetrics.Stage st : ServiceMetrics.Stage.values()) {
      Timer t = metrics.registry().find("loraflow.stage.duration").tag("stage", st.name().toLowerCase()).timer();
      m.put(st.name().toLowerCase(), t == null ? new double[2] : new double[] {t.count(), t.totalTime(TimeUnit.MILLISECONDS)});
    }
    m.put("receiptToAck", sum(metrics, "loraflow.event.latency"));
    m.put("ortRunPerRun", sum(metrics, "loraflow.inference.run.duration"));
    return m;
  }

  /** Count and total ms of a per-task timer, summed over the tasks. */
  private static double[] sum(ServiceMetrics metrics, String timer) {
    double[] sum = new double[2];
    for (Timer t : metrics.registry().find(timer).timers()) {
      sum[0] += t.count();
      sum[1] += t.totalTime(TimeUnit.MILLISECONDS);
    }
    return sum;
  }

  /** Mean ms per event of each timer between two {@link #timers} snapshots (the paced phase alone). */
  private static JsonObject meansSince(Map<String, double[]> before, Map<String, double[]> after) {
    JsonObject m = new JsonObject();
    before.forEach((k, b) -> {
      double[] a = after.get(k);
      double n = a[0] - b[0];
      m.put(k, n <= 0 ? null : Math.round((a[1] - b[1]) / n * 100) / 100.0);
    });
    return m;
  }

  /** Collections and their total ms so far, all collectors of this JVM. */
  private static long[] gc() {
    long n = 0;
    long ms = 0;
    for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, b.getCollectionCount());
      ms += Math.max(0, b.getCollectionTime());
    }
    return new long[] {n, ms};
  }

  /** GC during the paced phase: collections, their total ms, and the share of the phase's time. */
  private static JsonObject gcSince(long[] before, double seconds) {
    long[] now = gc();
    return new JsonObject().put("collections", now[0] - before[0]).put("ms", now[1] - before[1])
        .put("shareOfPhase", Math.round((now[1] - before[1]) / (seconds * 10.0)) / 100.0);
  }

  /** Waits until the collector has read what is already in the topics; returns that count. */
  private static long waitQuiet(Collector c) throws InterruptedException {
    long last = -1;
    while (c.count() != last) {
      last = c.count();
      Thread.sleep(300);
    }
    return last;
  }

  // ---------------------------------------------------------------- passthroughs

  /** The Vert.x consume→produce passthrough with the service's client settings. */
  JsonObject passthrough(Path model, List<Path> images, int backlog, String profile) throws Exception {
    Topics t = Topics.create("pass");
    LoraflowConfig config = LoraflowConfig.of(settings(t, model, images));
    fill(t.in(), backlog, images);
    try (Collector c = new Collector(TestBroker.bootstrapServers(), t.out(), t.dlq(), Math.max(1, backlog / 5),
        backlog, false)) {
      Recording rec = profile == null ? null : Profiles.start(profile);
      String id = vertx.deployVerticle(new Passthrough(config)).await();
      try {
        boolean done = c.await(timeoutMs);
        JsonObject out = new JsonObject().put("events", backlog).put("eventsPerSec", c.rate())
            .put("jvmCpuCores", c.cpuCores()).put("jvmCpuMsPerEvent", c.cpuMsPerEvent()).put("threadCpu", c.threadCpu())
            .put("measuredSeconds", c.measuredSeconds()).put("complete", done).put("received", c.count());
        if (rec != null) {
          out.put("profile", Profiles.stop(rec, jfrDir));
        }
        return out;
      } finally {
        vertx.undeploy(id).await();
      }
    }
  }

  /**
   * kcat's passthrough: {@code kcat -C ... -e | kcat -P ...} (librdkafka, acks=all, idempotent,
   * linger 5 ms; no consumer group, so no commits), timed by the same collector.
   */
  JsonObject kcat(List<Path> images, int backlog) throws Exception {
    Topics t = Topics.create("kcat");
    fill(t.in(), backlog, images);
    String bs = TestBroker.bootstrapServers();
    String cmd = "kcat -C -b " + bs + " -t " + t.in() + " -o beginning -e -q -f $'%k\\t%s\\n' | kcat -P -b " + bs
        + " -t " + t.out() + " -K $'\\t' -X acks=all -X enable.idempotence=true -X linger.ms=5";
    try (Collector c = new Collector(bs, t.out(), t.dlq(), Math.max(1, backlog / 5), backlog, false)) {
      Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).start();
      boolean done = c.await(timeoutMs);
      String log = new String(p.getInputStream().readNBytes(4000), StandardCharsets.UTF_8);
      p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      p.destroy();
      JsonObject out = new JsonObject().put("events", backlog).put("eventsPerSec", c.rate())
          .put("measuredSeconds", c.measuredSeconds()).put("complete", done).put("received", c.count())
          .put("command", cmd.replace(bs, "BROKER").replace(t.in(), "IN").replace(t.out(), "OUT"));
      if (!done) {
        out.put("log", log);
      }
      return out;
    }
  }

  static boolean hasKcat() {
    try {
      return new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start().waitFor() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
