package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.config.LoraflowConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * processing.guarantee=exactly_once through the at-least-once fault runs of {@link ScaleOutInTest}
 * (1 → 3 → 1 instances under load) and {@link BrokerRestartTest} (the broker stopped and restarted
 * mid-stream): the same checks (nothing lost, offsets at the end), and where those allow repeats,
 * a read_committed consumer sees none. Minutes each: tagged heavy, run with {@code -Pheavy}.
 */
@Tag("heavy")
class ExactlyOnceScaleAndRestartTest {
  @TempDir
  Path tmp;

  @Test
  void scaleOneToThreeToOneUnderLoadShowsNoDuplicate() throws Exception {
    ScaleOutInTest.Outcome o = ScaleOutInTest.scaleOutAndIn(tmp, "eos-scale", ExactlyOnceScaleAndRestartTest::exactlyOnce);
    System.out.printf("eos-scale: %d revocations, %d duplicates%n", o.revocations(), o.duplicates());
    assertEquals(Map.of(), o.duplicateOffsets(), "read_committed: no input offset twice");
  }

  @Test
  void brokerRestartShowsNoDuplicate() throws Exception {
    assertEquals(Map.of(), BrokerRestartTest.restartMidStream(tmp, "eos-brokerrestart",
        ExactlyOnceScaleAndRestartTest::exactlyOnce), "read_committed: no input offset twice");
  }

  /** Exactly-once with its own transactional.id, and a short transaction timeout (see ExactlyOnceKillTest). */
  static void exactlyOnce(String instance, Map<String, String> settings) {
    settings.put(LoraflowConfig.PROCESSING_GUARANTEE, "exactly_once");
    settings.put(LoraflowConfig.TRANSACTIONAL_ID, instance);
    settings.put("kafka.producer.transaction.timeout.ms", "5000");
  }
}
