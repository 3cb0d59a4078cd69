package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Shared set-up of the fault tests: fresh input/output/DLQ topics and group on the test broker, a
 * near-free generated model, a few real image files, 10,000 events spread evenly over the input
 * partitions (1 in 100 names a missing file, so the dead-letter path carries load too), settings
 * for service processes, and the common assertions.
 */
final class FaultScenario {
  static final int EVENTS = 10_000;
  /** No input partition may go longer than this without progress. */
  static final Duration MAX_STALL = Duration.ofSeconds(30);

  final String in;
  final String out;
  final String dlq;
  final String group;
  final int partitions;
  final Path model;
  final Path root;
  final List<Path> images;

  FaultScenario(Path tmp, String name, int partitions) throws Exception {
    this.partitions = partitions;
    this.in = TestBroker.createTopic(TestBroker.uniqueName(name + "-in"), partitions);
    this.out = TestBroker.createTopic(TestBroker.uniqueName(name + "-out"), 3);
    this.dlq = TestBroker.createTopic(TestBroker.uniqueName(name + "-dlq"), 1);
    this.group = TestBroker.uniqueName(name + "-group");
    this.root = tmp.toAbsolutePath();
    this.model = OnnxModels.writePackage(root.resolve("model"), "fault-model", 16, 0);
    this.images = TestImages.write(root.resolve("images"), 6);
  }

  /**
   * Settings for one instance: small batches, an explicit in-flight limit, frequent commits, no
   * HTTP, and a short session timeout so a killed member's partitions move within seconds (the
   * default 45 s alone would exceed {@link #MAX_STALL}).
   */
  Map<String, String> settings(int maxInFlight) {
    return TestSettings.forServiceProcess(TestSettings.of(in, out, dlq, group, model, root), maxInFlight);
  }

  /**
   * Settings of exactly-once instance {@code name}: its own {@code transactional.id}, and a 5 s
   * transaction timeout so read_committed readers are not held back long by a victim's open
   * transaction.
   */
  Map<String, String> exactlyOnceSettings(int maxInFlight, String name) {
    Map<String, String> s = new HashMap<>(settings(maxInFlight));
    s.put(io.loraflow.config.LoraflowConfig.PROCESSING_GUARANTEE, "exactly_once");
    s.put("kafka.producer.transaction.timeout.ms", "5000");
    s.put(io.loraflow.config.LoraflowConfig.TRANSACTIONAL_ID, group + "-" + name);
    return s;
  }

  /** Produces all the events, round-robin over the partitions; returns partition → log end offset. */
  Map<Integer, Long> produce() {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, 0, EVENTS);
    }
    return logEnds();
  }

  /** Partition → log end offset once all events are produced (the topic starts empty). */
  Map<Integer, Long> expectedEnds() {
    Map<Integer, Long> ends = new TreeMap<>();
    for (int p = 0; p < partitions; p++) {
      ends.put(p, (long) (EVENTS / partitions + (p < EVENTS % partitions ? 1 : 0)));
    }
    return ends;
  }

  KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("acks", "all");
    p.put("linger.ms", "5");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Sends events {@code from} to {@code from + count - 1} (capped at {@link #EVENTS}) and flushes;
   * event i goes to partition i % partitions. Returns the index of the next event.
   */
  int send(KafkaProducer<byte[], byte[]> producer, int from, int count) {
    int to = Math.min(EVENTS, from + count);
    for (int i = from; i < to; i++) {
      String id = "ev-" + i;
      String image = i % 100 == 99 ? root.resolve("images").resolve("missing-" + i + ".png").toString()
          : images.get(i % images.size()).toString();
      byte[] value = new JsonObject().put("id", id).put("image", image).encode().getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(in, i % partitions, id.getBytes(StandardCharsets.UTF_8), value));
    }
    producer.flush();
    return to;
  }

  Map<Integer, Long> logEnds() {
    try {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int i = 0; i < partitions; i++) {
        latest.put(new TopicPartition(in, i), OffsetSpec.latest());
      }
      Map<Integer, Long> ends = new TreeMap<>();
      TestBroker.admin().listOffsets(latest).all().get()
          .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
      return ends;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  OutcomeTracker tracker(Map<Integer, Long> ends) {
    return new OutcomeTracker(in, ends, List.of(out, dlq));
  }

  /** Waits until the group's committed offsets reach every input partition's log end. */
  void assertCommittedToEnd(Map<Integer, Long> ends, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<Integer, Long> committed;
    do {
      // Default options: the partition-list variant breaks on the 5.0.7 client (KAFKA-NOTES).
      Map<TopicPartition, OffsetAndMetadata> offsets =
          TestBroker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      committed = offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(in) && e.getValue() != null)
          .collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().offset(), (a, b) -> a, TreeMap::new));
      if (committed.equals(ends)) {
        return;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("committed " + committed + " but the log ends are " + ends);
  }

  /**
   * The common end state: every input offset has an outcome, offsets are committed to the end, no
   * stray outputs, no partition stalled beyond {@link #MAX_STALL}, and every dead letter is the
   * expected missing-file one. Returns the tracker's summary.
   */
  void assertCompleteAndCommitted(OutcomeTracker tracker, Map<Integer, Long> ends) throws Exception {
    assertCompleteAndCommitted(tracker, ends, true);
  }

  /** As above; {@code checkStalls} false skips the stall bound (a planned stop-and-restart gap). */
  void assertCompleteAndCommitted(OutcomeTracker tracker, Map<Integer, Long> ends, boolean checkStalls)
      throws Exception {
    tracker.awaitAll(Duration.ofMinutes(3));
    assertCommittedToEnd(ends, Duration.ofMinutes(1));
    tracker.awaitCaughtUp(Duration.ofMinutes(1));
    assertEquals(List.of(), tracker.anomalies(), "outputs that map to no input offset");
    Map<Integer, Long> stalls = tracker.longestStallMs();
    assertTrue(!checkStalls || stalls.values().stream().allMatch(ms -> ms <= MAX_STALL.toMillis()),
        "a partition went more than " + MAX_STALL + " without progress: " + stalls);
    Map<String, Integer> reasons = tracker.reasons();
    assertEquals(EVENTS / 100, reasons.values().stream().mapToInt(Integer::intValue).sum(),
        "dead-lettered input offsets (1 in 100 names a missing file): " + reasons);
    assertTrue(Set.of("FILE_NOT_FOUND", "FETCH_FAILED").containsAll(reasons.keySet()),
        "dead-letter reasons of a missing file: " + reasons);
  }
}
