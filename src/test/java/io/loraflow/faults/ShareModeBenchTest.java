package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.SlowDeviceMain;
import io.loraflow.testkit.TestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures, does not judge (docs/benchmarks.md): consumer group against share group, 1 and 3
 * instances, on a 1- and a 6-partition input, each instance on {@link SlowDeviceMain} (a device
 * that holds every batch of up to {@value #BATCH} for 500 ms, as a GPU would, so the CPU is not the
 * limit). Per run: events/s from the first outcome to the last, p99 from each record's timestamp
 * to its first outcome's (all {@value #EVENTS} events are produced at once, so this is mostly the
 * wait in the backlog), and duplicates; then the 3-instance runs again with a {@code kill -9} of
 * one instance after a fifth of the outcomes. Share runs use a {@value #LOCK_MS} ms acquisition
 * lock, consumer runs a 6 s session timeout (the fault tests' settings), so a dead member's records
 * come back after about the same wait.
 */
@Tag("heavy")
class ShareModeBenchTest {
  static final int EVENTS = 480;
  static final int BATCH = 8;
  static final int LOCK_MS = 6_000;

  @TempDir
  Path tmp;

  @Test
  void consumerVersusShareOnASlowDevice() throws Exception {
    List<String> rows = new ArrayList<>();
    for (boolean kill : new boolean[] {false, true}) {
      for (int partitions : new int[] {1, 6}) {
        for (String type : List.of("consumer", "share")) {
          for (int instances : kill ? new int[] {3} : new int[] {1, 3}) {
            rows.add(run(type, partitions, instances, kill));
            System.out.println("bench: " + rows.get(rows.size() - 1));
          }
        }
      }
    }
    System.out.println("| group | partitions | instances | kill -9 | events/s | p99 ms | duplicates |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private String run(String type, int partitions, int instances, boolean kill) throws Exception {
    String name = type + partitions + "p" + instances + (kill ? "k" : "");
    FaultScenario sc = new FaultScenario(tmp.resolve(name), "bench-" + name, partitions);
    Map<String, String> s = new HashMap<>(sc.settings(4 * BATCH));
    s.put(LoraflowConfig.MAX_BATCH_SIZE, Integer.toString(BATCH));
    if (type.equals("share")) {
      s.keySet().removeIf(k -> k.startsWith("kafka.consumer."));
      s.put(LoraflowConfig.GROUP_TYPE, "share");
      s.put(LoraflowConfig.ORDERING, "none");
      TestBroker.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, sc.group),
          List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", Integer.toString(LOCK_MS)),
              AlterConfigOp.OpType.SET)))).all().get();
    }
    List<ServiceProcess> sps = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        sps.add(ServiceProcess.launch("bench-" + name + "-" + i, s, SlowDeviceMain.class.getName()));
      }
      for (ServiceProcess sp : sps) {
        sp.awaitStarted(Duration.ofMinutes(2));
      }
      Thread.sleep(5_000); // joins, the rebalance and the first empty polls
      try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
        sc.send(producer, 0, EVENTS);
      }
      try (OutcomeTracker tracker = sc.tracker(sc.logEnds())) {
        tracker.awaitDistinct(1, Duration.ofMinutes(2));
        long first = System.nanoTime();
        if (kill) {
          tracker.awaitDistinct(EVENTS / 5, Duration.ofMinutes(2));
          sps.get(1).kill();
        }
        tracker.awaitAll(Duration.ofMinutes(5));
        double seconds = (System.nanoTime() - first) / 1e9;
        Thread.sleep(2_000); // late duplicates
        assertEquals(List.of(), tracker.anomalies());
        return String.format("| %s | %d | %d | %s | %.1f | %d | %d |", type, partitions, instances,
            kill ? "one, after " + EVENTS / 5 : "-", EVENTS / seconds, p99Ms(sc, tracker), tracker.duplicates());
      }
    } finally {
      sps.forEach(ServiceProcess::close);
    }
  }

  /** p99 of first-outcome timestamp minus input record timestamp, over every input record. */
  private static long p99Ms(FaultScenario sc, OutcomeTracker tracker) {
    Map<Integer, long[]> out = tracker.firstOutcomeTimestamps();
    List<Long> latencies = new ArrayList<>();
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < sc.partitions; i++) {
        tps.add(new TopicPartition(sc.in, i));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (latencies.size() < EVENTS && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          latencies.add(out.get(r.partition())[(int) r.offset()] - r.timestamp());
        }
      }
    }
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    assertEquals(EVENTS, sorted.length, "input records read back: " + Arrays.toString(sorted));
    return sorted[(int) Math.ceil(0.99 * sorted.length) - 1];
  }
}
