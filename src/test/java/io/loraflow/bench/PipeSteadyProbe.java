package io.loraflow.bench;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
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
      Map<String, Long> cpu0 = cpuByGroup(sp.pid());
      Map<String, Long> self0 = cpuByGroup(ProcessHandle.current().pid());
      long deadline = System.currentTimeMillis() + 600_000;
      jdk.jfr.Recording rec = null;
      while (n < events && System.currentTimeMillis() < deadline && sp.isAlive()) {
        n += c.poll(Duration.ofMillis(100)).count();
        if (rec == null && Boolean.getBoolean("probe.jfr") && n >= events / 2) {
          rec = Profiles.start("probe-self");
        }
        if (n >= next) {
          long t1 = System.nanoTime();
          Map<String, Long> cpu1 = cpuByGroup(sp.pid());
          Map<String, Long> self1 = cpuByGroup(ProcessHandle.current().pid());
          long here = self1.values().stream().mapToLong(Long::longValue).sum()
              - self0.values().stream().mapToLong(Long::longValue).sum();
          long done = n - (next - window);
          StringBuilder groups = new StringBuilder();
          long total = 0;
          for (Map.Entry<String, Long> e : cpu1.entrySet()) {
            long d = e.getValue() - cpu0.getOrDefault(e.getKey(), 0L);
            total += d;
            groups.append(' ').append(e.getKey()).append('=').append(String.format("%.1f", d / 1e3 / done));
          }
          System.out.printf("PROBE results %7d: %7.0f ev/s, service CPU %5.1f us/event:%s; broker+collector JVM %5.1f; load %s%n",
              n, done / ((t1 - t0) / 1e9), total / 1e3 / done, groups, here / 1e3 / done,
              Files.readString(Path.of("/proc/loadavg")).trim());
          t0 = t1;
          cpu0 = cpu1;
          self0 = self1;
          next = n + window;
        }
      }
      if (rec != null) {
        rec.stop();
        rec.dump(Path.of("/tmp/probe-self.jfr"));
        rec.close();
      }
      Map<String, Long> byComm = new java.util.TreeMap<>();
      try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          try {
            String comm = Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+$", "");
            byComm.merge(comm, Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]), Long::sum);
          } catch (java.io.IOException | RuntimeException e) {
            // ended
          }
        }
      }
      byComm.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(14)
          .forEach(e -> System.out.printf("PROBE self %-16s %6.2f s%n", e.getKey(), e.getValue() / 1e9));
      System.out.println("PROBE done: " + n + " of " + events + (sp.isAlive() ? "" : "; service died: " + sp.tail(20)));
    }
  }

  private static final String[][] GROUPS = {{"decode", "loraflow-decode"}, {"infer", "loraflow-infere"},
      {"loop", "vert.x-eventloo"}, {"producer", "kafka-producer-"}, {"poll", "loraflow-poll"},
      {"workers", "vert.x-worker-t"}, {"jit", "C1 CompilerThre", "C2 CompilerThre"}, {"gc", "GC Thread", "G1 "}};

  /** The child's CPU ns by thread group (comm prefix), from /proc/PID/task/N/{comm,schedstat}. */
  private static Map<String, Long> cpuByGroup(long pid) throws Exception {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (String[] g : GROUPS) {
      m.put(g[0], 0L);
    }
    m.put("other", 0L);
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          long ns = Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
          String group = "other";
          for (String[] g : GROUPS) {
            for (int i = 1; i < g.length; i++) {
              if (comm.startsWith(g[i])) {
                group = g[0];
              }
            }
          }
          m.merge(group, ns, Long::sum);
        } catch (java.io.IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    }
    return m;
  }

  private static KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("max.poll.records", "5000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
