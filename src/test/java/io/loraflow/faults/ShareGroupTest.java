package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.CrashOnBmpMain;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.SlowDeviceMain;
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
import org.junit.jupiter.api.Tag;
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
  /** Events of the scaling test, and the batch size its slowed model takes at once. */
  static final int SLOW_EVENTS = 480;
  static final int SLOW_BATCH = 8;
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
    List<ServiceProcess> instances = launch(sc, "share3", 3, LOCK_MS, Map.of(), Map.of(), MAIN);
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

  /**
   * The point of share groups: three instances on one partition go about three times as fast as
   * one when the model, not the CPU, is the bottleneck ({@link SlowDeviceMain}: every batch holds a
   * device for a fixed time, as on a GPU). In a consumer group two of the three would sit idle
   * (about 1x). Also checks every record gets an outcome and each instance takes a fair part.
   * Heavy: four JVMs and 40 s of device time, about 1 min on an idle 2-core machine, 2 min busy.
   */
  @Test
  @Tag("heavy")
  void threeInstancesOnOnePartitionScaleAsThreeDevices() throws Exception {
    // Four batches in flight: the device always has the next one while the last is published.
    Map<String, String> slow = Map.of(LoraflowConfig.MAX_BATCH_SIZE, Integer.toString(SLOW_BATCH),
        LoraflowConfig.MAX_IN_FLIGHT, Integer.toString(4 * SLOW_BATCH));
    FaultScenario soloSc = new FaultScenario(tmp.resolve("solo"), "sharesolo", 1);
    FaultScenario trioSc = new FaultScenario(tmp.resolve("trio"), "share3", 1);
    // The default lock: renewals, not short locks, are what this test is about to leave alone.
    String main = SlowDeviceMain.class.getName();
    List<ServiceProcess> solo = launch(soloSc, "sharesolo", 1, DEFAULT_LOCK_MS, slow, Map.of(), main);
    List<ServiceProcess> trio = launch(trioSc, "share3slow", 3, DEFAULT_LOCK_MS, slow, Map.of(), main);
    try {
      Run one = measure(soloSc, solo);
      Run three = measure(trioSc, trio);
      System.out.printf("share scaling (%d ms a batch of up to %d): one instance %.0f events/s, three %.0f events/s "
          + "(%.2fx); outcomes per instance %s%n", SlowDeviceMain.BATCH_MS, SLOW_BATCH, one.rate, three.rate,
          three.rate / one.rate, three.taken);
      long total = three.taken.stream().mapToLong(Long::longValue).sum();
      for (long n : three.taken) {
        assertTrue(n >= total / 5 && n <= total / 2, "each instance takes 20-50 % of " + total + ": " + three.taken);
      }
      assertTrue(three.rate >= 2.5 * one.rate, String.format("three instances %.0f events/s, one %.0f: under 2.5x",
          three.rate, one.rate));
    } finally {
      solo.forEach(ServiceProcess::close);
      trio.forEach(ServiceProcess::close);
    }
  }

  /** Events/s from the first outcome to the last, and each instance's outcomes after SIGTERM. */
  private record Run(double rate, List<Long> taken) {
  }

  private static Run measure(FaultScenario sc, List<ServiceProcess> instances) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
      sc.send(producer, 0, SLOW_EVENTS);
    }
    try (OutcomeTracker tracker = sc.tracker(sc.logEnds())) {
      tracker.awaitDistinct(1, Duration.ofMinutes(1));
      long first = System.nanoTime();
      tracker.awaitAll(Duration.ofMinutes(2));
      double rate = SLOW_EVENTS / ((System.nanoTime() - first) / 1e9);
      List<Long> taken = new ArrayList<>();
      for (ServiceProcess sp : instances) {
        assertEquals(143, sp.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
        taken.add(outcomes(sp));
      }
      tracker.awaitCaughtUp(Duration.ofSeconds(30));
      assertCorrectOutcomes(tracker, SLOW_EVENTS);
      assertEquals(tracker.total(), taken.stream().mapToLong(Long::longValue).sum(),
          "the instances' own counts add up to the outcomes published");
      return new Run(rate, taken);
    }
  }

  @Test
  void killNineOfOneInstanceLosesNothing() throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, "sharekill", 1);
    List<ServiceProcess> instances = launch(sc, "sharekill", 3, LOCK_MS, Map.of(), Map.of(), MAIN);
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
    List<ServiceProcess> instances = launch(sc, "shareterm", 3, DEFAULT_LOCK_MS, Map.of(),
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
    List<ServiceProcess> instances = launch(sc, "sharepoison", 3, LOCK_MS, Map.of(LoraflowConfig.SHARE_MAX_DELIVERIES, "2",
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
   * {@code n} (up to three) share-mode instances in a group whose records are locked for
   * {@code lockMs} ({@code extra} settings for all, {@code second} on top for the second one),
   * started together; returns once all are members with the partition.
   */
  private static List<ServiceProcess> launch(FaultScenario sc, String name, int n, int lockMs,
      Map<String, String> extra, Map<String, String> second, String mainClass) throws Exception {
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
    for (String id : List.of("a", "b", "c").subList(0, n)) {
      Map<String, String> own = new HashMap<>(s);
      if (id.equals("b")) {
        own.putAll(second);
      }
      instances.add(ServiceProcess.launch(name + "-" + id, own, mainClass));
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
      ShareGroupDescription d = null;
      try {
        d = TestBroker.admin().describeShareGroups(List.of(group)).all().get().get(group);
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
          throw e;
        }
        // Not yet: the group exists once its first member has joined.
      }
      long assigned = d == null ? 0
          : d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
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
    assertCorrectOutcomes(tracker, EVENTS);
  }

  private static void assertCorrectOutcomes(OutcomeTracker tracker, int events) {
    assertEquals(List.of(), tracker.anomalies(), "outputs that map to no input offset");
    Map<String, Integer> reasons = tracker.reasons();
    assertEquals(events / 100, reasons.values().stream().mapToInt(Integer::intValue).sum(), reasons.toString());
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
