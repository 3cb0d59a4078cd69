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
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "brokerrestart", 6);
    EmbeddedKafka broker = TestBroker.get();
    try (ServiceProcess a = ServiceProcess.start("brokerrestart-a", sc.settings(MAX_IN_FLIGHT),
        Duration.ofMinutes(2))) {
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
        System.out.printf("brokerrestart: broker down %.1f s at %d/%d outcomes%n", downNanos / 1e9, atStop,
            FaultScenario.EVENTS);
        assertTrue(atStop < FaultScenario.EVENTS, "the broker stopped mid-stream");

        sc.assertCompleteAndCommitted(tracker, ends);
        System.out.printf("brokerrestart: %s; duplicate offsets %s; %.1f s%n", tracker.summary(),
            tracker.duplicateOffsets(), (System.nanoTime() - t0) / 1e9);
        assertTrue(a.isAlive(), "the service kept running through the outage:\n" + a.tail(30));
        // The outage is visible: one WARN line when it starts, one when it ends.
        a.awaitLog("event=broker_reachable", Duration.ofSeconds(30));
        assertEquals(1, a.logLines("event=broker_unreachable").size(), a.logLines("event=broker_").toString());
        assertEquals(1, a.logLines("event=broker_reachable").size(), a.logLines("event=broker_").toString());
        assertTrue(tracker.duplicates() <= MAX_IN_FLIGHT, "duplicates " + tracker.duplicates()
            + " exceed the in-flight limit " + MAX_IN_FLIGHT + ": " + tracker.duplicateOffsets());
      }
      assertEquals(143, a.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM:\n" + a.tail(20));
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
