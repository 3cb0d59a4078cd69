package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.CrashOnBmpMain;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three instances, each its own JVM, in one share group on a 1-partition input: more instances
 * than partitions, which a consumer group cannot use (two of three would sit idle). Every record
 * gets an outcome and each instance takes a fair part; a {@code kill -9} of one of them loses
 * nothing: the broker redelivers what it held once its acquisition lock runs out; SIGTERM releases
 * what an instance holds at once; a record that crashes every instance ends as a dead letter.
 */
class ShareGroupTest {
  static final int EVENTS = 3_000;
  static final int MAX_IN_FLIGHT = 32;
  /** The acquisition lock of the crash tests: a dead member's records return after it (the test broker allows it). */
  static final int LOCK_MS = 5_000;
  /** Kafka's default lock: what a member that leaves without releasing makes the others wait. */
  static final int DEFAULT_LOCK_MS = 30_000;
  private static final String MAIN = "io.loraflow.Main";
  private static final Pattern STOPPED = Pattern.compile("event=stopped results=(\\d+) deadLetters=(\\d+)");

  @TempDir
  Path tmp;

  @Test
  void threeInstancesShareOnePartitionEvenly() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "share3", 1);
    List<ServiceProcess> instances = launch(sc, "share3", LOCK_MS, Map.of(), Map.of(), MAIN);
    try {
      Map<Integer, Long> ends = produce(sc);
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitAll(Duration.ofMinutes(2));
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        List<Long> taken = new ArrayList<>();
        for (ServiceProcess sp : instances) {
          assertEquals(143, sp.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
          taken.add(outcomes(sp));
        }
        tracker.awaitCaughtUp(Duration.ofSeconds(30));
        System.out.printf("share3: %s; outcomes per instance %s; %.1f s%n", tracker.summary(), taken,
            elapsedMs / 1e3);
        assertCorrectOutcomes(tracker);
        long total = taken.stream().mapToLong(Long::longValue).sum();
        assertEquals(tracker.total(), total, "the instances' own counts add up to the outcomes published");
        for (long n : taken) {
          assertTrue(n >= total / 5 && n <= total / 2, "each instance takes 20-50 % of " + total + ": " + taken);
        }
      }
    } finally {
      instances.forEach(ServiceProcess::close);
    }
  }

  @Test
  void killNineOfOneInstanceLosesNothing() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "sharekill", 1);
    List<ServiceProcess> instances = launch(sc, "sharekill", LOCK_MS, Map.of(), Map.of(), MAIN);
    try {
      Map<Integer, Long> ends = produce(sc);
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(EVENTS / 5, Duration.ofMinutes(2));
        ServiceProcess victim = instances.get(1);
        long atKill = tracker.distinct();
        victim.kill();
        tracker.awaitAll(Duration.ofMinutes(2));
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        for (ServiceProcess sp : List.of(instances.get(0), instances.get(2))) {
          assertEquals(143, sp.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
        }
        tracker.awaitCaughtUp(Duration.ofSeconds(30));
        System.out.printf("sharekill: killed %s at %d/%d outcomes; %s; duplicate offsets %s; %.1f s%n", victim,
            atKill, EVENTS, tracker.summary(), tracker.duplicateOffsets(), elapsedMs / 1e3);
        assertTrue(atKill < EVENTS, "killed mid-stream");
        assertCorrectOutcomes(tracker);
        // The victim held at most one poll (max.in.flight records); outcomes it published but had not
        // had accepted yet are the only ones repeated.
        assertTrue(tracker.duplicates() <= MAX_IN_FLIGHT, "duplicates " + tracker.duplicates()
            + " exceed what one instance can hold (" + MAX_IN_FLIGHT + "): " + tracker.duplicateOffsets());
      }
    } finally {
      instances.forEach(ServiceProcess::close);
    }
  }

  @Test
  void sigtermReleasesUnfinishedRecordsToTheOthersAtOnce() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "shareterm", 1);
    // b gives its events no time to finish on SIGTERM: whatever it holds then must be released. Its
    // batches wait 2 s to fill, so it always holds a poll's records.
    List<ServiceProcess> instances = launch(sc, "shareterm", DEFAULT_LOCK_MS, Map.of(),
        Map.of(LoraflowConfig.SHUTDOWN_TIMEOUT_MS, "0", LoraflowConfig.MAX_QUEUE_DELAY_MS, "2000",
            LoraflowConfig.MAX_BATCH_SIZE, "64"), MAIN);
    try {
      Map<Integer, Long> ends = produce(sc);
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(EVENTS / 5, Duration.ofMinutes(2));
        ServiceProcess leaving = instances.get(1);
        long termNanos = System.nanoTime();
        assertEquals(143, leaving.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
        tracker.awaitAll(Duration.ofMinutes(2));
        long afterTermMs = (System.nanoTime() - termNanos) / 1_000_000;
        List<String> released = leaving.logLines("event=share_records_released");
        System.out.printf("shareterm: %s; %s; all done %d ms after SIGTERM; %.1f s%n", released, tracker.summary(),
            afterTermMs, (System.nanoTime() - t0) / 1e9);
        assertCorrectOutcomes(tracker);
        assertEquals(1, released.size(), "the leaving instance released what it held:\n" + leaving.tail(20));
        // Not released, they would come back only when their lock ran out.
        assertTrue(tracker.longestStallMs().get(0) < DEFAULT_LOCK_MS / 2, "no wait for the lock: " + tracker.summary());
      }
    } finally {
      instances.forEach(ServiceProcess::close);
    }
  }

  @Test
  void recordsThatCrashOrFailEveryTryEndInTheDeadLetterTopicWhileTheRestFlows() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "sharepoison", 1);
    Path bmp = sc.root.resolve("images").resolve("crash.bmp");
    javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB),
        "bmp", bmp.toFile());
    Path corrupt = sc.root.resolve("images").resolve("corrupt.png");
    java.nio.file.Files.write(corrupt, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3, 4, 5, 6, 7});
    int events = 600;
    int crash = 100;
    int failing = 50;
    // Every instance crashes on a BMP; a poll holds few records, so few share the crasher's fate.
    List<ServiceProcess> instances = launch(sc, "sharepoison", LOCK_MS, Map.of(LoraflowConfig.SHARE_MAX_DELIVERIES, "2",
        LoraflowConfig.MAX_IN_FLIGHT, "4"), Map.of(), CrashOnBmpMain.class.getName());
    try {
      try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
        for (int i = 0; i < events; i++) {
          Path image = i == crash ? bmp : i == failing ? corrupt : sc.images.get(i % sc.images.size());
          String id = "ev-" + i;
          producer.send(new ProducerRecord<>(sc.in, 0, id.getBytes(StandardCharsets.UTF_8),
              new JsonObject().put("id", id).put("image", image.toString()).encode().getBytes(StandardCharsets.UTF_8)));
        }
      }
      Map<Integer, Long> ends = sc.logEnds();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitAll(Duration.ofMinutes(2));
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        List<Out> dead = OutputCollector.collect(List.of(sc.dlq), outs -> outs.stream().anyMatch(o ->
            o.key().equals("ev-" + crash)), Duration.ofSeconds(30));
        Map<String, Map<String, String>> byKey = new HashMap<>();
        dead.forEach(o -> byKey.put(o.key(), o.headers()));
        List<Integer> exits = new ArrayList<>();
        for (ServiceProcess sp : instances) {
          exits.add(sp.isAlive() ? sp.terminate(Duration.ofSeconds(60)) : sp.exitCode());
        }
        System.out.printf("sharepoison: exits %s; %s; crasher %s; collateral DELIVERY_LIMIT %s; %.1f s%n", exits,
            tracker.summary(), byKey.get("ev-" + crash), dead.stream().filter(o -> !o.key().equals("ev-" + crash)
                && "DELIVERY_LIMIT".equals(o.headers().get("loraflow.error.reason"))).map(Out::key).toList(),
            elapsedMs / 1e3);
        Map<String, String> crasher = byKey.get("ev-" + crash);
        assertEquals("DELIVERY_LIMIT", crasher.get("loraflow.error.reason"), crasher.toString());
        assertEquals("3", crasher.get("loraflow.error.delivery.count"), "two crashes, then the dead letter");
        assertEquals("DECODE_FAILED", byKey.get("ev-" + failing).get("loraflow.error.reason"));
        assertEquals("1", byKey.get("ev-" + failing).get("loraflow.error.delivery.count"), "dead-lettered at once");
        assertEquals(2, exits.stream().filter(e -> e == CrashOnBmpMain.EXIT).count(), "two instances crashed: " + exits);
        assertTrue(tracker.longestStallMs().get(0) < DEFAULT_LOCK_MS / 2, "the records behind the crasher flowed: "
            + tracker.summary());
      }
    } finally {
      instances.forEach(ServiceProcess::close);
    }
  }

  /**
   * Three share-mode instances in a group whose records are locked for {@code lockMs} ({@code extra}
   * settings for all, {@code second} on top for the second one), started together; returns once all
   * three are members with the partition.
   */
  private static List<ServiceProcess> launch(FaultScenario sc, String name, int lockMs, Map<String, String> extra,
      Map<String, String> second, String mainClass) throws Exception {
    TestBroker.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, sc.group),
        List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", Integer.toString(lockMs)),
            AlterConfigOp.OpType.SET)))).all().get();
    Map<String, String> s = new HashMap<>(sc.settings(MAX_IN_FLIGHT));
    // Consumer-group settings a share consumer refuses; share members have the broker's session timeout.
    s.keySet().removeIf(k -> k.startsWith("kafka.consumer."));
    s.put(LoraflowConfig.GROUP_TYPE, "share");
    s.put(LoraflowConfig.ORDERING, "none");
    s.putAll(extra);
    List<ServiceProcess> instances = new ArrayList<>();
    for (String n : List.of("a", "b", "c")) {
      Map<String, String> own = new HashMap<>(s);
      if (n.equals("b")) {
        own.putAll(second);
      }
      instances.add(ServiceProcess.launch(name + "-" + n, own, mainClass));
    }
    for (ServiceProcess sp : instances) {
      sp.awaitStarted(Duration.ofMinutes(2));
    }
    awaitMembers(sc.group, instances.size());
    return instances;
  }

  private static void awaitMembers(String group, int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      ShareGroupDescription d = TestBroker.admin().describeShareGroups(List.of(group)).all().get().get(group);
      long assigned = d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
      if (assigned >= n) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("share group " + group + " should have " + n + " members with the partition: " + d);
      }
      Thread.sleep(100);
    }
  }

  private static Map<Integer, Long> produce(FaultScenario sc) {
    try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
      sc.send(producer, 0, EVENTS);
    }
    return sc.logEnds();
  }

  /** Every outcome maps to an input offset, and the dead letters are the missing files' (1 in 100). */
  private static void assertCorrectOutcomes(OutcomeTracker tracker) {
    assertEquals(List.of(), tracker.anomalies(), "outputs that map to no input offset");
    Map<String, Integer> reasons = tracker.reasons();
    assertEquals(EVENTS / 100, reasons.values().stream().mapToInt(Integer::intValue).sum(), reasons.toString());
    assertTrue(Set.of("FILE_NOT_FOUND", "FETCH_FAILED").containsAll(reasons.keySet()), reasons.toString());
  }

  /** Results plus dead letters the instance published, from its last log line. */
  private static long outcomes(ServiceProcess sp) {
    Matcher m = STOPPED.matcher(sp.logText());
    long n = -1;
    while (m.find()) {
      n = Long.parseLong(m.group(1)) + Long.parseLong(m.group(2));
    }
    assertTrue(n >= 0, sp + " logged no event=stopped line:\n" + sp.tail(20));
    return n;
  }
}
