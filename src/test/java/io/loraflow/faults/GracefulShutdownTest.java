package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM during load: the instance stops taking records, finishes and publishes what is in
 * flight, commits and exits within its shutdown timeout. Started again, it goes on from the
 * committed offsets: a read_committed consumer of the output and DLQ topics sees every input
 * exactly once.
 */
class GracefulShutdownTest {
  static final int MAX_IN_FLIGHT = 64;

  @TempDir
  Path tmp;

  @Test
  void sigtermDuringLoadThenRestartPublishesEveryInputExactlyOnce() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "graceful", 6);
    Map<String, String> settings = sc.settings(MAX_IN_FLIGHT);
    long shutdownTimeoutMs = Long.parseLong(settings.get("shutdown.timeout.ms"));
    Map<Integer, Long> ends;
    try (ServiceProcess first = ServiceProcess.start("graceful-1", settings, Duration.ofMinutes(2))) {
      BrokerRestartTest.awaitAssigned(first);
      ends = sc.produce();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(FaultScenario.EVENTS / 5, Duration.ofMinutes(2));
        long stopAt = System.nanoTime();
        int exit = first.terminate(Duration.ofMillis(shutdownTimeoutMs + 30_000));
        long stopMs = (System.nanoTime() - stopAt) / 1_000_000;
        long atStop = tracker.distinct();
        System.out.printf("graceful: SIGTERM at >= %d/%d outcomes, exited %d after %d ms; %s%n", atStop,
            FaultScenario.EVENTS, exit, stopMs, first.logLines("event=(stopping|stopped)"));
        assertEquals(143, exit, "exit status after SIGTERM:\n" + first.tail(20));
        assertEquals(1, first.logLines("event=stopped ").size(), "clean stop logged:\n" + first.tail(20));
        assertEquals(List.of(), first.logLines("event=shutdown_timeout"), "in-flight work finished in time");
        assertTrue(atStop < FaultScenario.EVENTS, "stopped mid-stream");

        try (ServiceProcess second = ServiceProcess.start("graceful-2", settings, Duration.ofMinutes(2))) {
          // No stall bound here: the instance is deliberately down between the stop and the restart.
          sc.assertCompleteAndCommitted(tracker, ends, false);
          System.out.printf("graceful: %s; duplicate offsets %s; %.1f s%n", tracker.summary(),
              tracker.duplicateOffsets(), (System.nanoTime() - t0) / 1e9);
          assertEquals(Map.of(), tracker.duplicateOffsets(), "no input published twice after a clean stop");
          assertEquals(FaultScenario.EVENTS, tracker.total(), "each input exactly once");
          assertEquals(143, second.terminate(Duration.ofSeconds(60)));
        }
      }
    }
  }
}
