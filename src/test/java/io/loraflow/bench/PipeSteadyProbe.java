package io.loraflow.bench;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Experiment, not in {@code mvn test}: the pipe case's service as its own long-running JVM (as in
 * production), on a long backlog, printing events/s and the service JVM's CPU per event for each
 * window of results, so steady state can be told from warm-up.
 *
 * <pre>nice mvn -B -o test -Dtest=PipeSteadyProbe -Dsurefire.failIfNoSpecifiedTests=false -Dprobe.events=300000</pre>
 */
class PipeSteadyProbe {
  @Test
  void steadyState() throws Exception {
    int events = Integer.getInteger("probe.events", 300_000);
    int window = Integer.getInteger("probe.window", 20_000);
    Path model = Path.of("models/fashion-mnist");
    List<Path> samples;
    try (Stream<Path> s = Files.list(model.resolve("samples"))) {
      samples = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
    Path trivial = OnnxModels.writePackage(Files.createTempDirectory("probe-trivial"), "trivial", 8, 0);
    Runs.Topics t = Runs.Topics.create("steady");
    Map<String, String> s = Runs.settings(t, trivial, samples);
    s.put(LoraflowConfig.HTTP_PORT, "-1");
    for (String kv : System.getProperty("probe.set", "").split(",")) {
      if (!kv.isBlank()) {
        s.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    long f0 = System.nanoTime();
    Runs.fill(t.in(), events, samples);
    System.out.printf("PROBE filled %d in %.1f s%n", events, (System.nanoTime() - f0) / 1e9);
    List<String> jvm = List.of(System.getProperty("probe.jvm", "-Xmx1g").split(" "));
    try (ServiceProcess sp = ServiceProcess.launch("steady", s, "io.loraflow.Main", jvm);
        KafkaConsumer<byte[], byte[]> c = consumer()) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(t.out()).forEach(p -> tps.add(new TopicPartition(t.out(), p.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      long n = 0;
      long next = window;
      long t0 = System.nanoTime();
      Map<Integer, ThreadCpu.Sample> service0 = ThreadCpu.snapshotOf(sp.pid());
      Map<Integer, ThreadCpu.Sample> self0 = ThreadCpu.snapshot(false);
      Map<Integer, ThreadCpu.Sample> selfAtStart = self0;
      long deadline = System.currentTimeMillis() + 600_000;
      jdk.jfr.Recording rec = null;
      while (n < events && System.currentTimeMillis() < deadline && sp.isAlive()) {
        n += c.poll(Duration.ofMillis(100)).count();
        if (rec == null && Boolean.getBoolean("probe.jfr") && n >= events / 2) {
          rec = Profiles.start("probe-self");
        }
        if (n >= next) {
          long t1 = System.nanoTime();
          Map<Integer, ThreadCpu.Sample> service1 = ThreadCpu.snapshotOf(sp.pid());
          Map<Integer, ThreadCpu.Sample> self1 = ThreadCpu.snapshot(false);
          long done = n - (next - window);
          JsonObject service = ThreadCpu.perEvent(service0, service1, done);
          JsonObject here = ThreadCpu.perEvent(self0, self1, done);
          System.out.printf("PROBE results %7d: %7.0f ev/s, service CPU %5.1f us/event: %s; broker+collector JVM %5.1f; load %s%n",
              n, done / ((t1 - t0) / 1e9), service.getDouble("total"), nonZero(service.getJsonObject("groups")),
              here.getDouble("total"), Files.readString(Path.of("/proc/loadavg")).trim());
          t0 = t1;
          service0 = service1;
          self0 = self1;
          next = n + window;
        }
      }
      if (rec != null) {
        rec.stop();
        rec.dump(Path.of("/tmp/probe-self.jfr"));
        rec.close();
      }
      System.out.println("PROBE this JVM's busiest threads, us/event over the run: "
          + ThreadCpu.perEvent(selfAtStart, ThreadCpu.snapshot(true), Math.max(1, n)).getJsonArray("topThreads"));
      System.out.println("PROBE done: " + n + " of " + events + (sp.isAlive() ? "" : "; service died: " + sp.tail(20)));
    }
  }

  private static JsonObject nonZero(JsonObject groups) {
    JsonObject m = new JsonObject();
    groups.forEach(e -> {
      if (((Number) e.getValue()).doubleValue() > 0) {
        m.put(e.getKey().replaceAll(" \\(.*", ""), e.getValue());
      }
    });
    return m;
  }

  private static KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("max.poll.records", "5000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
