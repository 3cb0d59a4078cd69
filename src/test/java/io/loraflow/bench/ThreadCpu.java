package io.loraflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * CPU time of every thread of this JVM, Java and native alike, from {@code /proc/self/task/*}:
 * {@code schedstat}'s run time in ns (10 ms ticks of {@code stat} where schedstat is missing) and
 * {@code comm}, the thread's name as the kernel keeps it (15 characters: Java threads carry their
 * Java name cut there; native threads inherit their creator's). Native threads (those missing from
 * the JVM's thread dump, matched by {@code nid}) are ONNX Runtime's intra-op pools here and form
 * their own group. Two snapshots give CPU per thread group over a window; threads that ended inside
 * it are missed.
 */
final class ThreadCpu {
  private static final Path TASKS = Path.of("/proc/self/task");
  static final String NATIVE_GROUP = "ORT intra-op (native threads)";

  /** Groups in report order: a comm prefix each, first match wins; the broker's threads last. */
  private static final List<String[]> GROUPS = List.of(
      new String[] {"decode (loraflow-decode)", "loraflow-decode"},
      new String[] {"inference (loraflow-inference, runs ORT)", "loraflow-infere"},
      new String[] {NATIVE_GROUP},
      new String[] {"event loop (vert.x-eventloop)", "vert.x-eventloo"},
      new String[] {"producer I/O (kafka-producer-network)", "kafka-producer-"},
      new String[] {"consumer (loraflow-poll)", "loraflow-poll", "vert.x-kafka-co"},
      new String[] {"Vert.x workers", "vert.x-worker-t"},
      new String[] {"S3 client I/O (aws-java-sdk)", "aws-java-sdk-", "sdk-async-resp"},
      new String[] {"S3Proxy (Jetty, jclouds; issue 21's probe)", "S3Proxy-", "qtp", "user thread"},
      new String[] {"plain loop (bench-plain-loop, runs ORT)", "bench-plain-loo"},
      new String[] {"result collector (bench-collector)", "bench-collector"},
      new String[] {"JVM (GC, JIT)", "GC Thread", "G1 ", "C1 CompilerThre", "C2 CompilerThre", "VM ",
          "Sweeper", "Common-Cleaner"});
  private static final String[] BROKER = {"data-plane-", "broker-", "controller", "kafka-", "raft-",
      "quorum-", "ExpirationReap", "LogDirFailure", "ReplicaFetcher", "group-coordina", "transaction-",
      "share-", "executor-", "metrics-", "AlterPartition", "ClientQuota", "ThrottledChann", "feature-",
      "ProducerStateM", "log-", "kafka-log", "kraft-", "event-process", "ForwardingMan", "LogCleaner"};
  static final String BROKER_GROUP = "broker (in-JVM KRaft)";
  static final String OTHER = "other";

  private static final Pattern NID = Pattern.compile("nid=0x([0-9a-f]+)");

  private ThreadCpu() {
  }

  /** One thread: its comm, CPU ns, and whether it is a JVM thread (unknown: true). */
  record Sample(String comm, long nanos, boolean java) {
  }

  /** tid → sample; {@code classify}: tell native threads from the JVM's (a thread dump, a few ms). */
  static Map<Integer, Sample> snapshot(boolean classify) {
    Set<Integer> javaTids = classify ? javaTids() : null;
    Map<Integer, Sample> m = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
      for (Path t : tasks) {
        try {
          int tid = Integer.parseInt(t.getFileName().toString());
          m.put(tid, new Sample(Files.readString(t.resolve("comm")).trim(), nanos(t),
              javaTids == null || javaTids.isEmpty() || javaTids.contains(tid)));
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      // not Linux: empty
    }
    return m;
  }

  /**
   * Another process's threads (a service JVM of its own), keyed by {@code -tid} so they can join
   * this JVM's snapshot; all count as JVM threads (ONNX Runtime's pool carries its creator's name).
   */
  static Map<Integer, Sample> snapshotOf(long pid) {
    Map<Integer, Sample> m = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : tasks) {
        try {
          m.put(-Integer.parseInt(t.getFileName().toString()),
              new Sample(Files.readString(t.resolve("comm")).trim(), nanos(t), true));
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      // the process ended, or not Linux: empty
    }
    return m;
  }

  /** Both snapshots in one map (their keys do not meet: see {@link #snapshotOf}). */
  static Map<Integer, Sample> merged(Map<Integer, Sample> a, Map<Integer, Sample> b) {
    Map<Integer, Sample> m = new HashMap<>(a);
    m.putAll(b);
    return m;
  }

  /** CPU ns of all the threads in a snapshot. */
  static long totalNanos(Map<Integer, Sample> snapshot) {
    return snapshot.values().stream().mapToLong(Sample::nanos).sum();
  }

  /** The OS thread ids ({@code nid}) of every thread in the JVM's own thread dump; empty if unavailable. */
  private static Set<Integer> javaTids() {
    Set<Integer> tids = new HashSet<>();
    try {
      String dump = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"), "threadPrint",
          new Object[] {new String[0]}, new String[] {String[].class.getName()});
      Matcher m = NID.matcher(dump);
      while (m.find()) {
        tids.add(Integer.parseInt(m.group(1), 16));
      }
    } catch (JMException | RuntimeException e) {
      // no diagnostic commands: every thread counts by name
    }
    return tids;
  }

  private static long nanos(Path task) throws IOException {
    Path sched = task.resolve("schedstat");
    if (Files.exists(sched)) {
      return Long.parseLong(Files.readString(sched).trim().split("\\s+")[0]);
    }
    String stat = Files.readString(task.resolve("stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime + stime, USER_HZ 100
  }

  static String group(Sample s) {
    if (!s.java()) {
      return NATIVE_GROUP;
    }
    String comm = s.comm();
    for (String[] g : GROUPS) {
      for (int i = 1; i < g.length; i++) {
        if (comm.startsWith(g[i])) {
          return g[0];
        }
      }
    }
    for (String b : BROKER) {
      if (comm.startsWith(b)) {
        return BROKER_GROUP;
      }
    }
    return OTHER;
  }

  /**
   * CPU µs per event by thread group between two snapshots ({@code groups}, report order, plus
   * {@code total}), and the ten busiest thread names (digits folded) for checking the grouping.
   */
  static JsonObject perEvent(Map<Integer, Sample> before, Map<Integer, Sample> after, long events) {
    Map<String, Long> groups = new LinkedHashMap<>();
    GROUPS.forEach(g -> groups.put(g[0], 0L));
    groups.put(BROKER_GROUP, 0L);
    groups.put(OTHER, 0L);
    Map<String, Long> names = new HashMap<>();
    long total = 0;
    for (Map.Entry<Integer, Sample> e : after.entrySet()) {
      Sample b = before.get(e.getKey());
      long d = e.getValue().nanos() - (b == null ? 0 : b.nanos());
      String comm = e.getValue().comm();
      groups.merge(group(e.getValue()), d, Long::sum);
      names.merge(comm.replaceAll("[0-9]+", "N") + (e.getValue().java() ? "" : " (native)"), d, Long::sum);
      total += d;
    }
    JsonObject g = new JsonObject();
    groups.forEach((k, v) -> g.put(k, us(v, events)));
    JsonArray top = new JsonArray();
    names.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(10)
        .forEach(e -> top.add(new JsonObject().put("thread", e.getKey()).put("usPerEvent", us(e.getValue(), events))));
    return new JsonObject().put("groups", g).put("total", us(total, events)).put("events", events)
        .put("topThreads", top);
  }

  /**
   * The service's stages as thread groups: the ORT caller and ORT's native pool are one stage. The
   * broker, the collector and the JVM's own threads are no stage of the service.
   */
  static final Map<String, List<String>> STAGES = new LinkedHashMap<>();

  static {
    STAGES.put("consumer poll (loraflow-poll)", List.of("consumer (loraflow-poll)"));
    STAGES.put("event loop (parse, batching, publishing)", List.of("event loop (vert.x-eventloop)"));
    STAGES.put("decode workers (read, decode, preprocess)", List.of("decode (loraflow-decode)"));
    STAGES.put("inference (loraflow-inference + ORT native pool)",
        List.of("inference (loraflow-inference, runs ORT)", NATIVE_GROUP));
    STAGES.put("producer I/O (kafka-producer-network)", List.of("producer I/O (kafka-producer-network)"));
    STAGES.put("Vert.x workers", List.of("Vert.x workers"));
  }

  /** The service stage with the most CPU µs per event in {@code cpu} (a {@link #perEvent} or {@link #median}). */
  static JsonObject busiestStage(JsonObject cpu) {
    JsonObject g = cpu == null ? null : cpu.getJsonObject("groups");
    if (g == null) {
      return null;
    }
    String best = null;
    double max = -1;
    for (Map.Entry<String, List<String>> st : STAGES.entrySet()) {
      double us = st.getValue().stream().mapToDouble(k -> g.getDouble(k, 0.0)).sum();
      if (us > max) {
        max = us;
        best = st.getKey();
      }
    }
    return new JsonObject().put("stage", best).put("usPerEvent", Math.round(max * 10) / 10.0);
  }

  /** Each group's (and the total's) median over the rounds' {@code side.threadCpu}; null without any. */
  static JsonObject median(JsonArray rounds, String side) {
    List<JsonObject> all = new java.util.ArrayList<>();
    for (int i = 0; i < rounds.size(); i++) {
      JsonObject run = rounds.getJsonObject(i).getJsonObject(side);
      if (run != null && run.getJsonObject("threadCpu") != null) {
        all.add(new JsonObject().put("cpu", run.getJsonObject("threadCpu")));
      }
    }
    if (all.isEmpty()) {
      return null;
    }
    JsonArray a = new JsonArray(all);
    JsonObject groups = new JsonObject();
    for (String k : all.get(0).getJsonObject("cpu").getJsonObject("groups").fieldNames()) {
      groups.put(k, Harness.median(a, o -> o.getJsonObject("cpu").getJsonObject("groups").getDouble(k)));
    }
    return new JsonObject().put("groups", groups).put("total", Harness.median(a, o -> o.getJsonObject("cpu")
        .getDouble("total"))).put("rounds", all.size());
  }

  private static double us(long nanos, long events) {
    return Math.round(nanos / 1e3 / events * 10) / 10.0;
  }
}
