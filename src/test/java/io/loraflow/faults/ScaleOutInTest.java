package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under load, one instance becomes three and then one again (the two extra ones stop with
 * SIGTERM), with the default cooperative-sticky assignor. Nothing is lost; a revoked partition
 * commits what is done, so the only repeats are events in flight on a revoked partition, at most
 * the in-flight limit per revocation.
 *
 * <p>The input is fed by backlog, not by the clock: how long a JVM takes to start on a busy
 * machine varies ten-fold, so the feeder keeps a few hundred events unprocessed while the new
 * instances boot and keeps events in reserve for the three-instance phase and the scale-in.
 */
class ScaleOutInTest {
  static final int MAX_IN_FLIGHT = 64;
  static final int BACKLOG = 400;

  @TempDir
  Path tmp;

  @Test
  void oneToThreeToOneInstancesUnderLoadLosesNothing() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "scale", 6);
    Map<String, String> settings = sc.settings(MAX_IN_FLIGHT);
    // A model slow enough (~100-300 events/s) that a backlog outlives the 30-60 s the new JVMs
    // take to start: the rebalances must happen under load.
    settings.put(LoraflowConfig.MODEL, OnnxModels.writePackage(tmp.resolve("slower"), "slower", 1024, 100).toString());
    Map<Integer, Long> ends = sc.expectedEnds();
    List<ServiceProcess> all = new ArrayList<>();
    try (ServiceProcess a = ServiceProcess.start("scale-a", settings, Duration.ofMinutes(2));
        OutcomeTracker tracker = sc.tracker(ends);
        KafkaProducer<byte[], byte[]> producer = sc.producer()) {
      BrokerRestartTest.awaitAssigned(a);
      int next = sc.send(producer, 0, 2_000);
      tracker.awaitDistinct(1_000, Duration.ofMinutes(2));

      // Scale out: two more instances join while a works through a backlog.
      long outAt = System.nanoTime();
      try (ServiceProcess b = ServiceProcess.launch("scale-b", settings);
          ServiceProcess c = ServiceProcess.launch("scale-c", settings)) {
        all.addAll(List.of(a, b, c));
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!(started(b) && started(c) && b.hasAssignment() && c.hasAssignment())) {
          if (next - tracker.distinct() < BACKLOG && next < FaultScenario.EVENTS - 3_000) {
            next = sc.send(producer, next, 50);
          }
          assertTrue(System.nanoTime() < deadline, "b and c should join within 3 minutes:\n" + b.tail(20)
              + "\n" + c.tail(20));
          Thread.sleep(50);
        }
        long backlogAtOut = next - tracker.distinct();
        long atThree = tracker.distinct();
        System.out.printf("scale: 3 instances after %.1f s at %d outcomes, backlog %d; owned a=%s b=%s c=%s%n",
            (System.nanoTime() - outAt) / 1e9, atThree, backlogAtOut, a.ownedPartitions(), b.ownedPartitions(),
            c.ownedPartitions());

        // Three instances share the load.
        next = sc.send(producer, next, 1_500);
        tracker.awaitDistinct(atThree + Math.min(750, (next - atThree) / 2), Duration.ofMinutes(2));
        Set<Integer> movedBack = new TreeSet<>(b.ownedPartitions());
        movedBack.addAll(c.ownedPartitions());
        assertTrue(!b.ownedPartitions().isEmpty() && !c.ownedPartitions().isEmpty(),
            "each new instance owned partitions: b=" + b.ownedPartitions() + " c=" + c.ownedPartitions());

        // Scale in: SIGTERM both at once, with a backlog, and feed the rest meanwhile.
        long inAt = System.nanoTime();
        long atScaleIn = tracker.distinct();
        long backlogAtIn = next - atScaleIn;
        CompletableFuture<Integer> bExit = CompletableFuture.supplyAsync(() -> b.terminate(Duration.ofSeconds(90)));
        CompletableFuture<Integer> cExit = CompletableFuture.supplyAsync(() -> c.terminate(Duration.ofSeconds(90)));
        next = sc.send(producer, next, FaultScenario.EVENTS);
        assertEquals(143, bExit.get(2, TimeUnit.MINUTES), "b exits cleanly:\n" + b.tail(20));
        assertEquals(143, cExit.get(2, TimeUnit.MINUTES), "c exits cleanly:\n" + c.tail(20));
        System.out.printf("scale: back to 1 instance at %d outcomes, backlog %d, %.1f s to stop; b and c had %s%n",
            atScaleIn, backlogAtIn, (System.nanoTime() - inAt) / 1e9, movedBack);
        assertTrue(backlogAtOut > 0 && backlogAtIn > 0, "rebalances happened under load: backlog at scale-out "
            + backlogAtOut + ", at scale-in " + backlogAtIn);
        for (ServiceProcess p : List.of(b, c)) {
          assertEquals(List.of(), p.logLines("event=shutdown_timeout"), p + " finished in-flight work in time");
        }
      }
      assertEquals(FaultScenario.EVENTS, next);
      assertEquals(ends, sc.logEnds(), "all events produced");

      sc.assertCompleteAndCommitted(tracker, ends);
      // Each handover of partitions (a revocation, on any instance) may repeat what the giving
      // instance had in flight: at most its in-flight limit.
      long revocations = all.stream()
          .mapToLong(p -> p.logLines("event=partitions_revoked partitions=\\[[^\\]]").size()).sum();
      long failedCommits = all.stream().mapToLong(p -> p.logLines("event=commit_failed").size()).sum();
      System.out.printf("scale: %s; revocations %d (on a: %d), failed commits %d; duplicate offsets %s; %.1f s%n",
          tracker.summary(), revocations, a.logLines("event=partitions_revoked partitions=\\[[^\\]]").size(),
          failedCommits, tracker.duplicateOffsets(), (System.nanoTime() - t0) / 1e9);
      assertTrue(a.logLines("event=partitions_revoked partitions=\\[[^\\]]").size() >= 1,
          "a gave partitions away on scale-out");
      assertEquals(Set.of(0, 1, 2, 3, 4, 5), a.ownedPartitions(), "a owns everything again");
      assertTrue(tracker.duplicates() <= MAX_IN_FLIGHT * revocations, "duplicates " + tracker.duplicates()
          + " exceed the in-flight limit times the " + revocations + " revocations: " + tracker.duplicateOffsets());
      assertEquals(143, a.terminate(Duration.ofSeconds(60)));
    }
  }

  private static boolean started(ServiceProcess p) {
    if (!p.isAlive()) {
      throw new AssertionError(p + " exited (" + p.exitCode() + "):\n" + p.tail(30));
    }
    return p.logText().contains("event=started");
  }
}
