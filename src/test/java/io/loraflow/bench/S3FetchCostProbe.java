package io.loraflow.bench;

import io.loraflow.fetch.FetchOptions;
import io.loraflow.fetch.ImageFetcher;
import io.loraflow.fetch.ImageReference;
import io.loraflow.fetch.S3Options;
import io.loraflow.testkit.S3Store;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetch cost only, no model: 2,000 fetches of 50 small images, 32 at a time, as {@code s3://}
 * from S3Proxy in this JVM and as files; three rounds, the last one is the figure. Prints the
 * rate and the CPU per fetch by thread group. Not part of {@code mvn test} (no Test suffix):
 * {@code mvn -o test -Dtest=S3FetchCostProbe -Dsurefire.failIfNoSpecifiedTests=false}, output in
 * target/surefire-reports/io.loraflow.bench.S3FetchCostProbe-output.txt.
 */
class S3FetchCostProbe {
  private static final int FETCHES = 2000;
  private static final int WINDOW = 32;

  @TempDir
  Path tmp;

  @Test
  void measure() throws Exception {
    Path dir = tmp.resolve("img");
    List<Path> images = TestImages.write(dir, 50);
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (S3Store store = S3Store.start().bucket("images")) {
      for (Path p : images) {
        store.put("images", p.getFileName().toString(), Files.readAllBytes(p));
      }
      Vertx vertx = Vertx.vertx();
      ImageFetcher fetcher = new ImageFetcher(vertx, FetchOptions.defaults()
          .withAllowedRoots(List.of(dir)).withS3(new S3Options(List.of("images"),
              Optional.of(URI.create(store.endpoint())), true, Optional.of("us-east-1"), true)));
      for (int round = 0; round < 3; round++) {
        for (String kind : List.of("file", "s3")) {
          Map<String, Long> before = cpuByThreadGroup();
          long cpu0 = os.getProcessCpuTime();
          long t0 = System.nanoTime();
          for (int i = 0; i < FETCHES; i += WINDOW) {
            List<Future<?>> batch = new ArrayList<>();
            for (int k = i; k < Math.min(FETCHES, i + WINDOW); k++) {
              String name = images.get(k % images.size()).getFileName().toString();
              batch.add(fetcher.fetch(ImageReference.parse(kind.equals("s3")
                  ? "s3://images/" + name : dir.resolve(name).toString())));
            }
            Future.all(batch).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          System.out.printf("PROBE round %d %s: %.0f fetches/s; process CPU %.0f us/fetch%n", round,
              kind, FETCHES / seconds, (os.getProcessCpuTime() - cpu0) / 1e3 / FETCHES);
          cpuByThreadGroup().forEach((group, ns) -> System.out.printf("PROBE   %s %s: %.0f us/fetch%n",
              kind, group, (ns - before.getOrDefault(group, 0L)) / 1e3 / FETCHES));
        }
      }
      fetcher.close().toCompletionStage().toCompletableFuture().get();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** CPU time of live threads: the SDK's I/O threads, Vert.x's (workers sign), the rest (S3Proxy). */
  private static Map<String, Long> cpuByThreadGroup() {
    var mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new TreeMap<>();
    for (long id : mx.getAllThreadIds()) {
      var info = mx.getThreadInfo(id);
      long cpu = mx.getThreadCpuTime(id);
      if (info != null && cpu >= 0) {
        String name = info.getThreadName();
        String group = name.startsWith("aws-java-sdk") || name.startsWith("sdk-") ? "sdk"
            : name.startsWith("vert.x") ? "vertx" : name.equals("main") ? "main" : "server+other";
        out.merge(group, cpu, Long::sum);
      }
    }
    return out;
  }
}
