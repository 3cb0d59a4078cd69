package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances share a 6-partition input; one is killed with SIGKILL mid-stream. The survivor
 * takes its partitions over (after the short session timeout) and every input offset still gets
 * an outcome; only the dead instance's uncommitted work is repeated.
 */
class KillNineTest {
  static final int MAX_IN_FLIGHT = 64;

  @TempDir
  Path tmp;

  @Test
  void survivorTakesOverAfterKillNineWithNoLossAndBoundedDuplicates() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "kill9", 6);
    Map<String, String> settings = sc.settings(MAX_IN_FLIGHT);
    try (ServiceProcess a = ServiceProcess.launch("kill9-a", settings);
        ServiceProcess b = ServiceProcess.launch("kill9-b", settings)) {
      a.awaitStarted(Duration.ofMinutes(2));
      b.awaitStarted(Duration.ofMinutes(2));
      awaitBothAssigned(a, b);

      Map<Integer, Long> ends = sc.produce();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(FaultScenario.EVENTS / 5, Duration.ofMinutes(2));
        Set<Integer> victimPartitions = b.ownedPartitions();
        Map<Integer, Long> atKill = tracker.distinctByPartition();
        b.kill();
        long doneAtKill = atKill.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("kill9: killed %s owning %s at %d/%d outcomes, per partition %s%n", b,
            victimPartitions, doneAtKill, FaultScenario.EVENTS, atKill);
        assertFalse(victimPartitions.isEmpty(), "the victim owned partitions");
        assertTrue(victimPartitions.stream().anyMatch(p -> atKill.get(p) < ends.get(p)),
            "the victim was killed mid-stream: " + atKill + " of " + ends);

        sc.assertCompleteAndCommitted(tracker, ends);
        Map<Integer, Map<Long, Integer>> dups = tracker.duplicateOffsets();
        System.out.printf("kill9: %s; duplicate offsets %s; %.1f s%n", tracker.summary(), dups,
            (System.nanoTime() - t0) / 1e9);
        Set<Integer> dupPartitions = new HashSet<>(dups.keySet());
        dupPartitions.removeAll(victimPartitions);
        assertEquals(Set.of(), dupPartitions, "duplicates only in the killed instance's partitions");
        assertTrue(dups.values().stream().flatMap(m -> m.values().stream()).allMatch(n -> n == 2),
            "no offset published more than twice: " + dups);
        assertTrue(tracker.duplicates() <= MAX_IN_FLIGHT, "duplicates " + tracker.duplicates()
            + " exceed the killed instance's in-flight limit " + MAX_IN_FLIGHT + ": " + dups);
        assertTrue(a.isAlive(), "the survivor is still running");
        assertTrue(a.ownedPartitions().containsAll(victimPartitions), "the survivor took over "
            + victimPartitions + "; it owns " + a.ownedPartitions());
      }
      assertEquals(143, a.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
    }
  }

  static void awaitBothAssigned(ServiceProcess a, ServiceProcess b) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (!(a.hasAssignment() && b.hasAssignment()
        && a.ownedPartitions().size() + b.ownedPartitions().size() == 6)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("both instances should own partitions: " + a.ownedPartitions() + " / "
            + b.ownedPartitions() + "\n" + a.tail(10) + "\n" + b.tail(10));
      }
      Thread.sleep(100);
    }
  }
}
