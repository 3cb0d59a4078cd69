package io.loraflow.bench;

import io.loraflow.testkit.S3Store;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 21's figure: events/s of {@value #EVENTS} small images (the bundled model's 28x28 PNG
 * samples) through the real service and the bundled model on the real broker, read as
 * {@code s3://} references from S3Proxy in this JVM vs as {@code file:} paths; each run a fresh
 * service over a backlog, measured from the 400th outcome to the last ({@link Collector}), file
 * and s3 alternating, {@value #ROUNDS} rounds. Prints the rates, their ratio and the CPU per event
 * by thread group: s3 minus file is the CPU of one fetch, the store's own included. Not part of
 * {@code mvn test} (no Test suffix): {@code nice -n 19 mvn -B -o test -Dtest=S3PipelineProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dprobe.jfr=true} records the s3 runs (JFR,
 * target/probe-jfr). Output in target/surefire-reports/io.loraflow.bench.S3PipelineProbe-output.txt.
 */
class S3PipelineProbe {
  private static final int EVENTS = 2000;
  private static final int ROUNDS = 3;

  @Test
  void measure() throws Exception {
    Path model = Path.of("models/fashion-mnist").toAbsolutePath();
    List<Path> images;
    try (Stream<Path> files = Files.list(model.resolve("samples"))) {
      images = files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
    Vertx vertx = Vertx.vertx();
    Runs runs = new Runs(vertx, Path.of("target/probe-jfr"), 180_000);
    try (S3Store store = S3Store.start().bucket("images")) {
      for (Path p : images) {
        store.put("images", p.getFileName().toString(), Files.readAllBytes(p));
      }
      for (int round = 0; round < ROUNDS; round++) {
        double file = run(runs, model, images, false, store, round).getDouble("eventsPerSec");
        double s3 = run(runs, model, images, true, store, round).getDouble("eventsPerSec");
        System.out.printf("PROBE round %d: s3 / file = %.2f%n", round, s3 / file);
      }
    } finally {
      vertx.close().await();
    }
  }

  private static JsonObject run(Runs runs, Path model, List<Path> images, boolean s3, S3Store store, int round)
      throws Exception {
    Map<String, String> settings = new HashMap<>();
    S3Store.configure(settings, store.endpoint());
    String profile = s3 && Boolean.getBoolean("probe.jfr") ? "s3-round-" + round : null;
    JsonObject out = runs.service(model, settings, images,
        s3 ? image -> "s3://images/" + image.getFileName() : Runs::filePath, EVENTS, 0, 0, profile);
    System.out.printf("PROBE round %d %s: %.0f events/s, %.0f us CPU/event, complete=%s, dead letters %d%n",
        round, s3 ? "s3" : "file", out.getDouble("eventsPerSec"), out.getDouble("jvmCpuMsPerEvent") * 1000,
        out.getBoolean("complete"), out.getLong("deadLetters"));
    System.out.println("PROBE   threads (us/event): " + out.getJsonObject("threadCpu").encode());
    if (out.containsKey("profile")) {
      System.out.println("PROBE   profile: " + out.getJsonObject("profile").encode());
    }
    return out;
  }
}
