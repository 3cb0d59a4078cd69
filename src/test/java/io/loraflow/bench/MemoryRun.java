package io.loraflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory over a long run at high load. The service runs in its own JVM ({@code io.loraflow.Main
 * serve}, the container's flags {@code -XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError}), so
 * the broker and the harness are not counted: RSS from {@code /proc/PID/status}, heap and
 * non-heap from its own {@code /metrics} ({@code jvm_memory_used_bytes}), sampled while a paced
 * producer offers {@code rate} events/s.
 */
final class MemoryRun {
  private MemoryRun() {
  }

  static JsonObject run(Path model, List<Path> images, double rate, double seconds, double sampleEverySec,
      Path logFile) throws Exception {
    Runs.Topics t = Runs.Topics.create("mem");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:MaxRAMPercentage=60.0", "-XX:+ExitOnOutOfMemoryError",
        "-cp", pathingJar(logFile.getParent()).toString(), "io.loraflow.Main", "serve"));
    Map<String, String> settings = Runs.settings(t, model, images);
    settings.put("http.port", String.valueOf(port));
    settings.put("http.host", "127.0.0.1");
    settings.forEach((k, v) -> {
      cmd.add("--" + k.replace('.', '-'));
      cmd.add(v);
    });
    Files.createDirectories(logFile.getParent());
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    JsonObject out = new JsonObject().put("jvmFlags", "-XX:MaxRAMPercentage=60.0 -XX:+ExitOnOutOfMemoryError")
        .put("offeredRate", rate).put("seconds", seconds);
    try {
      long readyBy = System.currentTimeMillis() + 120_000;
      while (!ready(http, port)) {
        if (!proc.isAlive() || System.currentTimeMillis() > readyBy) {
          return out.put("error", "service did not become ready; see " + logFile);
        }
        Thread.sleep(200);
      }
      AtomicBoolean producing = new AtomicBoolean(true);
      AtomicLong sent = new AtomicLong();
      Thread producer = new Thread(() -> {
        sent.set(Runs.paced(t.in(), rate, seconds, images));
        producing.set(false);
      }, "bench-memory-producer");
      producer.start();
      JsonArray samples = new JsonArray();
      long start = System.nanoTime();
      double peakRss = 0;
      double peakHeap = 0;
      double sumHeap = 0;
      double firstRss = -1;
      double lastRss = 0;
      int n = 0;
      while (producing.get()) {
        Thread.sleep((long) (sampleEverySec * 1000));
        double rss = rssMb(proc.pid());
        double[] mem = jvmMemoryMb(http, port);
        long results = (long) mem[2];
        samples.add(new JsonArray().add(round((System.nanoTime() - start) / 1e9)).add(round(rss))
            .add(round(mem[0])).add(round(mem[1])).add(results));
        if (firstRss < 0) {
          firstRss = rss;
        }
        lastRss = rss;
        peakRss = Math.max(peakRss, rss);
        peakHeap = Math.max(peakHeap, mem[0]);
        sumHeap += mem[0];
        n++;
      }
      producer.join();
      double[] end = jvmMemoryMb(http, port);
      out.put("sent", sent.get()).put("results", (long) end[2])
          .put("rssMbFirst", round(firstRss)).put("rssMbLast", round(lastRss)).put("rssMbPeak", round(peakRss))
          .put("heapUsedMbPeak", round(peakHeap)).put("heapUsedMbMean", round(n == 0 ? 0 : sumHeap / n))
          .put("nonHeapMbLast", round(end[1]))
          .put("sampleColumns", new JsonArray(List.of("seconds", "rssMb", "heapUsedMb", "nonHeapUsedMb", "results")))
          .put("samples", samples);
      return out;
    } finally {
      proc.destroy();
      proc.waitFor();
    }
  }

  private static boolean ready(HttpClient http, int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** heap used MB, non-heap used MB, results published. */
  private static double[] jvmMemoryMb(HttpClient http, int port) {
    double heap = 0;
    double nonHeap = 0;
    double results = 0;
    try {
      String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
      for (String line : body.split("\n")) {
        if (line.startsWith("#")) {
          continue;
        }
        double v;
        try {
          v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        } catch (RuntimeException e) {
          continue;
        }
        if (line.startsWith("jvm_memory_used_bytes{")) {
          if (line.contains("area=\"heap\"")) {
            heap += v;
          } else {
            nonHeap += v;
          }
        } else if (line.startsWith("loraflow_results_total{")) {
          results += v;
        }
      }
    } catch (Exception e) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
    return new double[] {heap / 1048576.0, nonHeap / 1048576.0, results};
  }

  private static double rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (Exception e) {
      // process gone
    }
    return Double.NaN;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /**
   * This JVM's class path as a one-entry pathing jar (as surefire does): with a ~100-entry
   * {@code -cp} on its command line, ONNX Runtime 1.29's native initialisation segfaults here.
   */
  static Path pathingJar(Path dir) throws java.io.IOException {
    StringBuilder cp = new StringBuilder();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!e.isBlank()) {
        cp.append(Path.of(e).toAbsolutePath().toUri()).append(' ');
      }
    }
    java.util.jar.Manifest m = new java.util.jar.Manifest();
    m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, cp.toString().trim());
    Path jar = dir.resolve("service-classpath.jar");
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m)) {
      // manifest only
    }
    return jar;
  }
}
