package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures, does not judge: events/s through a 1-partition input for one instance in a consumer
 * group, one in a share group and three in a share group (separate JVMs, the near-free fault-test
 * model, max.in.flight 256, 10,000 events produced once all have started, clock from the first
 * outcome to the last). On a
 * 2-core machine three JVMs share the same cores, so the three-instance figure shows the cost of
 * sharing, not the gain of more hardware.
 */
@Tag("heavy")
class ShareThroughputTest {
  static final int MAX_IN_FLIGHT = 256;

  @TempDir
  Path tmp;

  @Test
  void consumerVersusShareOnOnePartition() throws Exception {
    List<String> lines = new ArrayList<>();
    lines.add(run("consumer", 1));
    lines.add(run("share", 1));
    lines.add(run("share", 3));
    lines.forEach(l -> System.out.println("throughput: " + l));
  }

  private String run(String groupType, int instances) throws Exception {
    FaultScenario sc = new FaultScenario(tmp.resolve(groupType + instances), "tp-" + groupType + instances, 1);
    Map<String, String> s = new HashMap<>(sc.settings(MAX_IN_FLIGHT));
    if (groupType.equals("share")) {
      s.keySet().removeIf(k -> k.startsWith("kafka.consumer."));
      s.put(LoraflowConfig.GROUP_TYPE, "share");
      s.put(LoraflowConfig.ORDERING, "none");
    }
    List<ServiceProcess> sps = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      sps.add(ServiceProcess.launch("tp-" + groupType + "-" + i, s));
    }
    for (ServiceProcess sp : sps) {
      sp.awaitStarted(Duration.ofMinutes(2));
    }
    Thread.sleep(3_000); // joins and the first empty polls
    try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
      sc.send(producer, 0, FaultScenario.EVENTS);
    }
    try (OutcomeTracker tracker = sc.tracker(sc.logEnds())) {
      tracker.awaitDistinct(1, Duration.ofMinutes(2));
      long first = System.nanoTime();
      tracker.awaitAll(Duration.ofMinutes(5));
      double seconds = (System.nanoTime() - first) / 1e9;
      assertEquals(List.of(), tracker.anomalies());
      return String.format("%s x%d: %.0f events/s (%d events in %.1f s after the first outcome), duplicates %d",
          groupType, instances, FaultScenario.EVENTS / seconds, FaultScenario.EVENTS, seconds, tracker.duplicates());
    } finally {
      sps.forEach(ServiceProcess::close);
    }
  }
}
