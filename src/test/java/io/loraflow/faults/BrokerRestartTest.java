package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.broker.EmbeddedKafka;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away mid-stream for a few seconds and comes back on the same port with its data.
 * The service (its own JVM, never restarted) rides it out: publishes and commits fail and are
 * retried, and every input offset still ends with an outcome.
 */
class BrokerRestartTest {
  static final int MAX_IN_FLIGHT = 64;

  @TempDir
  Path tmp;

  @Test
  void serviceRecoversByItselfWhenTheBrokerRestartsMidStream() throws Exception {
    Map<Integer, Map<Long, Integer>> duplicates = restartMidStream(tmp, "brokerrestart", (id, s) -> { });
    int n = duplicates.values().stream().mapToInt(m -> m.values().stream().mapToInt(c -> c - 1).sum()).sum();
    assertTrue(n <= MAX_IN_FLIGHT, "duplicates " + n + " exceed the in-flight limit " + MAX_IN_FLIGHT + ": "
        + duplicates);
  }

  /**
   * The scenario: one instance ({@code tune} adjusts its settings, given a name unique to it, fit
   * for a transactional.id), the broker stopped and restarted mid-stream. Asserts that nothing is
   * lost, offsets reach the end and the instance lived through it; returns the input offsets seen
   * more than once (partition → offset → count) for the caller's bound.
   */
  static Map<Integer, Map<Long, Integer>> restartMidStream(Path tmp, String name,
      BiConsumer<String, Map<String, String>> tune) throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, name, 6);
    EmbeddedKafka broker = TestBroker.get();
    Map<String, String> settings = sc.settings(MAX_IN_FLIGHT);
    tune.accept(sc.group + "-a", settings);
    Map<Integer, Map<Long, Integer>> duplicates;
    try (ServiceProcess a = ServiceProcess.start(name + "-a", settings, Duration.ofMinutes(2))) {
      awaitAssigned(a);
      Map<Integer, Long> ends = sc.produce();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(FaultScenario.EVENTS / 5, Duration.ofMinutes(2));
        long atStop;
        long downNanos;
        try {
          long stopAt = System.nanoTime();
          broker.stop();
          atStop = tracker.distinct();
          Thread.sleep(3_000); // the outage itself, on top of the stop and the restart (seconds each)
          broker.restart();
          downNanos = System.nanoTime() - stopAt;
        } finally {
          if (!broker.isRunning()) {
            broker.restart();
          }
        }
        System.out.printf("%s: broker down %.1f s at %d/%d outcomes%n", name, downNanos / 1e9, atStop,
            FaultScenario.EVENTS);
        assertTrue(atStop < FaultScenario.EVENTS, "the broker stopped mid-stream");

        sc.assertCompleteAndCommitted(tracker, ends);
        System.out.printf("%s: %s; duplicate offsets %s; %.1f s%n", name, tracker.summary(),
            tracker.duplicateOffsets(), (System.nanoTime() - t0) / 1e9);
        assertTrue(a.isAlive(), "the service kept running through the outage:\n" + a.tail(30));
        // The outage is visible: one WARN line when it starts, one when it ends.
        a.awaitLog("event=broker_reachable", Duration.ofSeconds(30));
        assertEquals(1, a.logLines("event=broker_unreachable").size(), a.logLines("event=broker_").toString());
        assertEquals(1, a.logLines("event=broker_reachable").size(), a.logLines("event=broker_").toString());
        duplicates = tracker.duplicateOffsets();
      }
      assertEquals(143, a.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM:\n" + a.tail(20));
      return duplicates;
    } finally {
      if (!broker.isRunning()) {
        broker.restart();
      }
    }
  }

  static void awaitAssigned(ServiceProcess... instances) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    for (ServiceProcess p : instances) {
      while (!p.hasAssignment()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(p + " got no partitions:\n" + p.tail(20));
        }
        Thread.sleep(100);
      }
    }
  }
}
