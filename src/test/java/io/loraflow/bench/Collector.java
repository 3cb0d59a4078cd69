package io.loraflow.bench;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the output (and dead-letter) topics on its own thread with a plain Kafka consumer
 * (assigned, no group), from the beginning. It timestamps the arrival of record number
 * {@code warmup} and of record number {@code expected}, so the rate excludes start-up and JIT
 * warm-up; with {@code latency} it parses each value and records {@code now - attributes.t}
 * (the producer's {@code System.nanoTime()}, same JVM).
 */
final class Collector implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final String dlq;
  private final boolean latency;
  private final long warmup;
  private final long expected;
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean stop;
  private volatile long warmupAtNanos;
  private volatile long doneAtNanos;
  private volatile double warmupCpu;
  private volatile double doneCpu;
  private volatile Map<Integer, ThreadCpu.Sample> warmupThreads;
  private volatile Map<Integer, ThreadCpu.Sample> doneThreads;
  private volatile long firstAtNanos;
  /** A service running as its own process whose CPU counts with this JVM's (0: none). */
  private volatile long servicePid;
  private volatile Map<Integer, ThreadCpu.Sample> serviceWarmup;
  private volatile Map<Integer, ThreadCpu.Sample> serviceDone;
  // Guarded by this: end to end (send -> read here), the service's own part (timingsMs.total:
  // classify start -> inference done) and the way out (the result's send -> read here).
  private final Samples endToEnd = new Samples();
  private final Samples service = new Samples();
  private final Samples wayOut = new Samples();
  private volatile long latencyFromNanos = Long.MAX_VALUE;

  Collector(String bootstrap, String out, String dlq, long warmup, long expected, boolean latency) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("max.poll.records", "2000");
    p.put("fetch.max.wait.ms", "20");
    this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.dlq = dlq;
    this.latency = latency;
    this.warmup = warmup;
    this.expected = expected;
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : List.of(out, dlq)) {
      for (PartitionInfo pi : consumer.partitionsFor(t)) {
        parts.add(new TopicPartition(t, pi.partition()));
      }
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    parts.forEach(consumer::position); // resolve positions now, not during the measurement
    this.thread = new Thread(this::loop, "bench-collector");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      while (!stop) {
        var records = consumer.poll(Duration.ofMillis(50));
        long now = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          long n = count.incrementAndGet();
          if (n == 1) {
            firstAtNanos = now;
          }
          if (r.topic().equals(dlq)) {
            deadLetters.incrementAndGet();
          } else if (latency && now >= latencyFromNanos) {
            JsonObject v = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
            JsonObject attrs = v.getJsonObject("attributes");
            if (attrs != null && attrs.getLong("t") != null && attrs.getLong("t") != 0) {
              JsonObject timings = v.getJsonObject("timingsMs");
              addLatency(now - attrs.getLong("t"),
                  timings == null ? -1 : (long) (timings.getDouble("total") * 1e6),
                  (System.currentTimeMillis() - r.timestamp()) * 1_000_000L);
            }
          }
          if (n == warmup) {
            warmupAtNanos = now;
            warmupCpu = Runs.cpuSeconds();
            warmupThreads = ThreadCpu.snapshot(false);
            serviceWarmup = servicePid == 0 ? Map.of() : ThreadCpu.snapshotOf(servicePid);
          }
          if (n == expected) {
            doneAtNanos = now;
            doneCpu = Runs.cpuSeconds();
            doneThreads = ThreadCpu.snapshot(true);
            serviceDone = servicePid == 0 ? Map.of() : ThreadCpu.snapshotOf(servicePid);
            done.countDown();
          }
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private synchronized void addLatency(long e2e, long serviceNanos, long outNanos) {
    endToEnd.add(e2e);
    if (serviceNanos >= 0) {
      service.add(serviceNanos);
      wayOut.add(outNanos);
    }
  }

  /**
   * Counts the CPU of the service process {@code pid} with this JVM's over the measured window;
   * call before result number {@code warmup} arrives.
   */
  void countProcess(long pid) {
    servicePid = pid;
  }

  /** CPU seconds of the watched service process over the window (0 without one). */
  private double serviceCpuSeconds() {
    return serviceDone == null ? 0 : (ThreadCpu.totalNanos(serviceDone) - ThreadCpu.totalNanos(serviceWarmup)) / 1e9;
  }

  /** Only results that arrive after this moment count towards the latency percentiles. */
  void latencyFrom(long nanos) {
    latencyFromNanos = nanos;
  }

  boolean await(long timeoutMs) throws InterruptedException {
    return done.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  long count() {
    return count.get();
  }

  long deadLetters() {
    return deadLetters.get();
  }

  long firstAtNanos() {
    return firstAtNanos;
  }

  /** Events per second between record {@code warmup} and record {@code expected}. */
  double rate() {
    if (doneAtNanos == 0 || warmupAtNanos == 0 || doneAtNanos == warmupAtNanos) {
      return Double.NaN;
    }
    return (expected - warmup) / ((doneAtNanos - warmupAtNanos) / 1e9);
  }

  /** CPU cores this JVM used between record {@code warmup} and record {@code expected}. */
  double cpuCores() {
    return doneAtNanos == 0 ? Double.NaN : (doneCpu - warmupCpu + serviceCpuSeconds()) / measuredSeconds();
  }

  /**
   * CPU milliseconds of this JVM (service or passthrough, broker, collector), and of the service
   * process if one is counted, per event in that window.
   */
  double cpuMsPerEvent() {
    return doneAtNanos == 0 ? Double.NaN : (doneCpu - warmupCpu + serviceCpuSeconds()) * 1000 / (expected - warmup);
  }

  /** CPU µs per event by thread group over the same window ({@link ThreadCpu#perEvent}); null before it ends. */
  JsonObject threadCpu() {
    return doneThreads == null ? null : ThreadCpu.perEvent(ThreadCpu.merged(warmupThreads, serviceWarmup),
        ThreadCpu.merged(doneThreads, serviceDone), expected - warmup);
  }

  double measuredSeconds() {
    return (doneAtNanos - warmupAtNanos) / 1e9;
  }

  /** p50, p95, p99, max latency in ms, and the number of samples. */
  synchronized double[] latencyMs() {
    return endToEnd.percentilesMs();
  }

  /**
   * Where the end-to-end latency goes, p50/p95/p99 of each part in ms: {@code service} (the
   * result's timingsMs.total: fetch, decode, batch queue, inference), {@code out} (the result's
   * send to its arrival here: the service producer's linger, the broker, this consumer; ms
   * resolution) and {@code in} (the rest: the request's way in, the wait for an in-flight slot,
   * parsing, and inference done to the result's send, ordering included).
   */
  synchronized JsonObject latencySplit() {
    Samples in = new Samples();
    for (int k = 0; k < service.size; k++) {
      in.add(endToEnd.values[k] - service.values[k] - wayOut.values[k]);
    }
    JsonObject split = new JsonObject();
    for (Map.Entry<String, Samples> e : Map.of("service", service, "out", wayOut, "in", in).entrySet()) {
      double[] p = e.getValue().percentilesMs();
      split.put(e.getKey(), new JsonObject().put("p50Ms", p[0]).put("p95Ms", p[1]).put("p99Ms", p[2]));
    }
    return split;
  }

  /** A growing list of nanosecond samples. */
  private static final class Samples {
    long[] values = new long[4096];
    int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    /** p50, p95, p99, max in ms, and the count. */
    double[] percentilesMs() {
      if (size == 0) {
        return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0};
      }
      long[] all = Arrays.copyOf(values, size);
      Arrays.sort(all);
      return new double[] {pct(all, 50), pct(all, 95), pct(all, 99), all[size - 1] / 1e6, size};
    }
  }

  private static double pct(long[] sorted, double p) {
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e6;
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(5000);
  }
}
