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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
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
    Outcome o = scaleOutAndIn(tmp, "scale", (name, settings) -> { });
    // Each handover of partitions (a revocation, on any instance) may repeat what the giving
    // instance had in flight: at most its in-flight limit.
    assertTrue(o.duplicates() <= MAX_IN_FLIGHT * o.revocations(), "duplicates " + o.duplicates()
        + " exceed the in-flight limit times the " + o.revocations() + " revocations: " + o.duplicateOffsets());
  }

  /** What a scale-out-and-in run leaves to check: the repeats and the hand-overs. */
  record Outcome(long duplicates, Map<Integer, Map<Long, Integer>> duplicateOffsets, long revocations) {
  }

  /**
   * The scenario: 1 → 3 → 1 instances under load (instances name-a, -b, -c; {@code tune} adjusts
   * each one's settings, given a name unique to the instance, fit for a transactional.id). Asserts that nothing is lost, offsets reach the end and a owns
   * everything again; returns the repeats for the caller's bound.
   */
  static Outcome scaleOutAndIn(Path tmp, String name, BiConsumer<String, Map<String, String>> tune)
      throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, name, 6);
    Map<String, String> base = sc.settings(MAX_IN_FLIGHT);
    // A model slow enough (~100-300 events/s) that a backlog outlives the 30-60 s the new JVMs
    // take to start: the rebalances must happen under load.
    base.put(LoraflowConfig.MODEL, OnnxModels.writePackage(tmp.resolve("slower"), "slower", 1024, 100).toString());
    Map<String, Map<String, String>> settings = new HashMap<>();
    for (String instance : List.of("a", "b", "c")) {
      Map<String, String> s = new HashMap<>(base);
      tune.accept(sc.group + "-" + instance, s);
      settings.put(instance, s);
    }
    Map<Integer, Long> ends = sc.expectedEnds();
    List<ServiceProcess> all = new ArrayList<>();
    try (ServiceProcess a = ServiceProcess.start(name + "-a", settings.get("a"), Duration.ofMinutes(2));
        OutcomeTracker tracker = sc.tracker(ends);
        KafkaProducer<byte[], byte[]> producer = sc.producer()) {
      BrokerRestartTest.awaitAssigned(a);
      int next = sc.send(producer, 0, 2_000);
      tracker.awaitDistinct(1_000, Duration.ofMinutes(2));

      // Scale out: two more instances join while a works through a backlog.
      long outAt = System.nanoTime();
      try (ServiceProcess b = ServiceProcess.launch(name + "-b", settings.get("b"));
          ServiceProcess c = ServiceProcess.launch(name + "-c", settings.get("c"))) {
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
        System.out.printf(name + ": 3 instances after %.1f s at %d outcomes, backlog %d; owned a=%s b=%s c=%s%n",
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
        System.out.printf(name + ": back to 1 instance at %d outcomes, backlog %d, %.1f s to stop; b and c had %s%n",
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
      long revocations = all.stream()
          .mapToLong(p -> p.logLines("event=partitions_revoked partitions=\\[[^\\]]").size()).sum();
      long failedCommits = all.stream().mapToLong(p -> p.logLines("event=commit_failed").size()).sum();
      System.out.printf("%s: %s; revocations %d (on a: %d), failed commits %d; duplicate offsets %s; %.1f s%n",
          name, tracker.summary(), revocations, a.logLines("event=partitions_revoked partitions=\\[[^\\]]").size(),
          failedCommits, tracker.duplicateOffsets(), (System.nanoTime() - t0) / 1e9);
      assertTrue(a.logLines("event=partitions_revoked partitions=\\[[^\\]]").size() >= 1,
          "a gave partitions away on scale-out");
      assertEquals(Set.of(0, 1, 2, 3, 4, 5), a.ownedPartitions(), "a owns everything again");
      Outcome outcome = new Outcome(tracker.duplicates(), tracker.duplicateOffsets(), revocations);
      assertEquals(143, a.terminate(Duration.ofSeconds(60)));
      return outcome;
    }
  }

  private static boolean started(ServiceProcess p) {
    if (!p.isAlive()) {
      throw new AssertionError(p + " exited (" + p.exitCode() + "):\n" + p.tail(30));
    }
    return p.logText().contains("event=started");
  }
}
