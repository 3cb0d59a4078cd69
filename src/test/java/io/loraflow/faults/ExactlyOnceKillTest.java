package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * processing.guarantee=exactly_once under SIGKILL: two instances, one killed mid-stream. Its open
 * transaction is aborted (transaction timeout), the survivor resumes from the last committed
 * transaction, and a read_committed consumer sees each input's outcome exactly once.
 */
class ExactlyOnceKillTest {
  @TempDir
  Path tmp;

  @Test
  void readCommittedConsumerSeesEachOutcomeExactlyOnceAfterKillNine() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "eos-kill9", 6);
    Map<String, String> a = sc.exactlyOnceSettings(64, "a");
    Map<String, String> b = sc.exactlyOnceSettings(64, "b");
    try (ServiceProcess pa = ServiceProcess.launch("eos-a", a);
        ServiceProcess pb = ServiceProcess.launch("eos-b", b)) {
      pa.awaitStarted(Duration.ofMinutes(2));
      pb.awaitStarted(Duration.ofMinutes(2));
      KillNineTest.awaitBothAssigned(pa, pb);

      Map<Integer, Long> ends = sc.produce();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(FaultScenario.EVENTS / 5, Duration.ofMinutes(2));
        Set<Integer> victim = pb.ownedPartitions();
        Map<Integer, Long> atKill = tracker.distinctByPartition();
        pb.kill();
        assertFalse(victim.isEmpty(), "the victim owned partitions");
        System.out.printf("eos-kill9: killed %s owning %s at %s of %s%n", pb, victim, atKill, ends);

        // No stall bound here: read_committed readers of every output partition wait for the
        // victim's open transaction to be aborted (session timeout + transaction timeout + the
        // broker's abort sweep), which is the documented cost of exactly-once after a crash.
        sc.assertCompleteAndCommitted(tracker, ends, false);
        System.out.printf("eos-kill9: longest gap per partition %s ms%n", tracker.longestStallMs());
        System.out.printf("eos-kill9: %s; %.1f s%n", tracker.summary(), (System.nanoTime() - t0) / 1e9);
        assertEquals(Map.of(), tracker.duplicateOffsets(), "read_committed: no input offset twice");
        assertEquals(0, tracker.duplicates());
      }
      assertEquals(143, pa.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
    }
  }
}
