package io.loraflow.testkit;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows the output and dead-letter topics from a background thread (plain consumer,
 * {@code read_committed}, no group) and maps every outcome back to its input offset through the
 * {@code source} {topic, partition, offset} both kinds carry. Answers, per input partition: which
 * offsets have an outcome, how many outcomes each got (duplicates), and the longest time the
 * partition went without a new input offset getting its first outcome (stalls).
 *
 * <p>Progress clock: starts when the tracker is created; a partition's clock stops once every
 * offset below its end has an outcome.
 */
public final class OutcomeTracker implements AutoCloseable {
  private final String inputTopic;
  private final Map<Integer, Long> ends;
  private final List<String> outputTopics;
  private final Thread thread;
  private volatile boolean running = true;

  // Guarded by this.
  private final Map<Integer, int[]> counts = new HashMap<>();
  /** Input partition → per offset, the timestamp of its first outcome's record (0: none yet). */
  private final Map<Integer, long[]> firstOutcomeAt = new HashMap<>();
  private final Map<Integer, Long> distinct = new HashMap<>();
  private final Map<Integer, Long> lastProgressNanos = new HashMap<>();
  private final Map<Integer, Long> maxGapNanos = new HashMap<>();
  private final Map<TopicPartition, Long> consumedTo = new HashMap<>();
  private final Map<String, Integer> reasons = new TreeMap<>();
  private final List<String> anomalies = new ArrayList<>();
  private long total;
  private long results;
  private long deadLetters;
  private Throwable failure;

  /** {@code ends}: input partition → log end offset (every offset below it expects an outcome). */
  public OutcomeTracker(String inputTopic, Map<Integer, Long> ends, List<String> outputTopics) {
    this.inputTopic = inputTopic;
    this.ends = Map.copyOf(ends);
    this.outputTopics = List.copyOf(outputTopics);
    long now = System.nanoTime();
    ends.forEach((p, end) -> {
      counts.put(p, new int[Math.toIntExact(end)]);
      firstOutcomeAt.put(p, new long[Math.toIntExact(end)]);
      distinct.put(p, 0L);
      lastProgressNanos.put(p, now);
      maxGapNanos.put(p, 0L);
    });
    thread = new Thread(this::run, "outcome-tracker");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    Properties p = new Properties();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("isolation.level", "read_committed");
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (var e : TestBroker.admin().describeTopics(outputTopics).allTopicNames().get().entrySet()) {
        e.getValue().partitions().forEach(i -> tps.add(new TopicPartition(e.getKey(), i.partition())));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          onRecord(r);
        }
        // The position passes transaction markers too (exactly-once outputs end with one).
        for (TopicPartition tp : tps) {
          long position = c.position(tp);
          synchronized (this) {
            consumedTo.merge(tp, position, Math::max);
          }
        }
      }
    } catch (Throwable t) {
      synchronized (this) {
        failure = t;
      }
    }
  }

  private synchronized void onRecord(ConsumerRecord<byte[], byte[]> r) {
    long now = System.nanoTime();
    consumedTo.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
    JsonObject v;
    try {
      v = DeadLetters.isDeadLetter(r) ? DeadLetters.view(r) : new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      anomalies.add(r.topic() + "@" + r.offset() + ": not JSON");
      return;
    }
    JsonObject src = v.getJsonObject("source");
    if (src == null || !inputTopic.equals(src.getString("topic"))) {
      anomalies.add(r.topic() + "@" + r.offset() + ": source " + src);
      return;
    }
    int partition = src.getInteger("partition");
    long offset = src.getLong("offset");
    int[] c = counts.get(partition);
    if (c == null || offset < 0 || offset >= c.length) {
      anomalies.add(r.topic() + "@" + r.offset() + ": source offset out of range " + src);
      return;
    }
    total++;
    boolean dead = v.containsKey("reason");
    if (dead) {
      deadLetters++;
    } else {
      results++;
    }
    if (c[(int) offset]++ == 0) {
      firstOutcomeAt.get(partition)[(int) offset] = r.timestamp();
      if (dead) {
        reasons.merge(v.getString("reason"), 1, Integer::sum);
      }
      long seen = distinct.merge(partition, 1L, Long::sum);
      maxGapNanos.merge(partition, now - lastProgressNanos.get(partition), Math::max);
      lastProgressNanos.put(partition, now);
      if (seen == ends.get(partition)) {
        lastProgressNanos.put(partition, Long.MAX_VALUE); // complete: the clock stops
      }
    }
  }

  /** Input offsets with at least one outcome, over all partitions. */
  public synchronized long distinct() {
    return distinct.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Input offsets with at least one outcome, per partition. */
  public synchronized Map<Integer, Long> distinctByPartition() {
    return new TreeMap<>(distinct);
  }

  public synchronized long total() {
    return total;
  }

  public synchronized long results() {
    return results;
  }

  public synchronized long deadLetters() {
    return deadLetters;
  }

  /** Dead-lettered input offsets by reason (first outcome of each offset; duplicates not counted). */
  public synchronized Map<String, Integer> reasons() {
    return new TreeMap<>(reasons);
  }

  /** Input partition → per offset, the record timestamp of its first outcome (0: none yet). */
  public synchronized Map<Integer, long[]> firstOutcomeTimestamps() {
    Map<Integer, long[]> copy = new HashMap<>();
    firstOutcomeAt.forEach((p, ts) -> copy.put(p, ts.clone()));
    return copy;
  }

  /** Outcomes beyond the first, over all input offsets. */
  public synchronized long duplicates() {
    return total - distinct();
  }

  /** Input partition → offsets that got more than one outcome (and how many). */
  public synchronized Map<Integer, Map<Long, Integer>> duplicateOffsets() {
    Map<Integer, Map<Long, Integer>> out = new TreeMap<>();
    counts.forEach((p, c) -> {
      for (int o = 0; o < c.length; o++) {
        if (c[o] > 1) {
          out.computeIfAbsent(p, k -> new TreeMap<>()).put((long) o, c[o]);
        }
      }
    });
    return out;
  }

  /** Input partition → the longest time, in ms, without a new offset getting its first outcome. */
  public synchronized Map<Integer, Long> longestStallMs() {
    long now = System.nanoTime();
    Map<Integer, Long> out = new TreeMap<>();
    maxGapNanos.forEach((p, gap) -> {
      long last = lastProgressNanos.get(p);
      long open = last == Long.MAX_VALUE ? 0 : now - last;
      out.put(p, Math.max(gap, open) / 1_000_000);
    });
    return out;
  }

  /** Records that could not be mapped to an input offset (should be none). */
  public synchronized List<String> anomalies() {
    return List.copyOf(anomalies);
  }

  /** Waits until {@code n} input offsets have an outcome; fails after {@code timeout}. */
  public void awaitDistinct(long n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (distinct() < n) {
      checkAlive();
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + distinct() + " of " + n + " input offsets got an outcome within "
            + timeout + "; per partition " + distinctByPartition() + ", stalls " + longestStallMs());
      }
      sleep(100);
    }
  }

  /** Waits until every input offset has an outcome; fails naming the missing ones. */
  public void awaitAll(Duration timeout) {
    long all = ends.values().stream().mapToLong(Long::longValue).sum();
    try {
      awaitDistinct(all, timeout);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; missing " + missing(20), e);
    }
  }

  /** Up to {@code limit} missing input offsets per partition. */
  public synchronized Map<Integer, List<Long>> missing(int limit) {
    Map<Integer, List<Long>> out = new TreeMap<>();
    counts.forEach((p, c) -> {
      List<Long> m = new ArrayList<>();
      for (int o = 0; o < c.length && m.size() < limit; o++) {
        if (c[o] == 0) {
          m.add((long) o);
        }
      }
      if (!m.isEmpty()) {
        out.put(p, m);
      }
    });
    return out;
  }

  /**
   * Waits until the tracker has read the output topics up to their current log ends, so that
   * every outcome published so far is counted (call after the inputs are committed to the end).
   */
  public void awaitCaughtUp(Duration timeout) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (var e : TestBroker.admin().describeTopics(outputTopics).allTopicNames().get().entrySet()) {
      e.getValue().partitions().forEach(i -> latest.put(new TopicPartition(e.getKey(), i.partition()),
          OffsetSpec.latest()));
    }
    Map<TopicPartition, Long> target = TestBroker.admin().listOffsets(latest).all().get().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      checkAlive();
      synchronized (this) {
        boolean caughtUp = target.entrySet().stream()
            .allMatch(e -> e.getValue() == 0 || consumedTo.getOrDefault(e.getKey(), 0L) >= e.getValue());
        if (caughtUp) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("outcome tracker read " + consumedTo + " but the output ends are " + target);
        }
      }
      sleep(100);
    }
  }

  /** One line for reports. */
  public synchronized String summary() {
    return "outcomes=" + total + " distinct=" + distinct() + " results=" + results + " deadLetters="
        + deadLetters + " " + reasons + " duplicates=" + duplicates() + " longestStallMs=" + longestStallMs();
  }

  private synchronized void checkAlive() {
    if (failure != null) {
      throw new AssertionError("outcome tracker failed", failure);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
  }
}
