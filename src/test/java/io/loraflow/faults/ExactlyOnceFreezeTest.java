package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once against a zombie: one of two instances is frozen (SIGSTOP) mid-stream for longer
 * than its session and transaction timeouts, so the group and the transaction coordinator move
 * on; then it is thawed. Its stale work must never become visible (its commit carries an old
 * generation, its producer epoch was bumped), and it must recover and rejoin by itself instead
 * of exiting.
 */
class ExactlyOnceFreezeTest {
  @TempDir
  Path tmp;

  @Test
  void aThawedZombieIsFencedRecoversAndRejoinsWithoutDuplicates() throws Exception {
    FaultScenario sc = new FaultScenario(tmp, "eos-freeze", 6);
    Map<String, String> a = sc.exactlyOnceSettings(64, "a");
    Map<String, String> b = sc.exactlyOnceSettings(64, "b");
    try (ServiceProcess pa = ServiceProcess.launch("freeze-a", a);
        ServiceProcess pb = ServiceProcess.launch("freeze-b", b)) {
      pa.awaitStarted(Duration.ofMinutes(2));
      pb.awaitStarted(Duration.ofMinutes(2));
      KillNineTest.awaitBothAssigned(pa, pb);

      Map<Integer, Long> ends = sc.produce();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(FaultScenario.EVENTS / 5, Duration.ofMinutes(2));
        assertFalse(pb.ownedPartitions().isEmpty(), "the zombie-to-be owned partitions");
        signal("STOP", pb);
        // Past the 6 s session timeout and the 5 s transaction timeout: the survivor takes over.
        Thread.sleep(15_000);
        signal("CONT", pb);

        sc.assertCompleteAndCommitted(tracker, ends, false);
        System.out.printf("eos-freeze: %s%n", tracker.summary());
        assertEquals(Map.of(), tracker.duplicateOffsets(), "read_committed: no input offset twice");
        assertEquals(0, tracker.duplicates());
        assertTrue(pb.isAlive(), "the thawed instance recovers instead of exiting:\n" + pb.tail(20));
        pb.awaitLog("event=partitions_lost", Duration.ofSeconds(30));
      }
      assertEquals(143, pb.terminate(Duration.ofSeconds(60)), "the thawed instance still stops cleanly");
      assertEquals(143, pa.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
    }
  }

  private static void signal(String name, ServiceProcess p) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start().waitFor());
  }
}
