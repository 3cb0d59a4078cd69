package io.loraflow.cache;

import io.loraflow.inference.TopK;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Predictions of images classified before ({@code cache.enabled}), so that a duplicate or a
 * replayed event skips decode and inference. The key is the SHA-256 of the image's bytes with
 * everything else that decides the answer: model name and version, task and the generation of its
 * adapter ({@link io.loraflow.inference.TaskRegistry#generation}), and k. A replaced adapter or
 * another task therefore never gets an older or another task's answer.
 *
 * <p>Bounded by {@code maxEntries} (least recently used dropped first) and by a TTL from the
 * moment a prediction was stored (an expired entry is dropped when looked up or when it is the
 * least recently used). Identical images in flight at the same time are each computed: the cache
 * holds answers, not pending work.
 *
 * <p>Concurrency: any thread; looked up on the decode workers, filled on the event loop.
 */
public final class ResultCache {
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  });

  /** What decides a prediction besides the image: see the class comment. */
  public record Key(String model, String task, long generation, int k, String sha256) {
  }

  private record Entry(TopK.Prediction prediction, long storedNanos) {
  }

  private final int maxEntries;
  private final long ttlNanos;
  private final LongSupplier clock;
  // Access order: the first entry is the least recently used.
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long hits;
  private long misses;
  private Counter hitCounter;
  private Counter missCounter;
  private Counter sizeEvictions;
  private Counter expiredEvictions;

  public ResultCache(int maxEntries, long ttlMs) {
    this(maxEntries, ttlMs, System::nanoTime);
  }

  /** {@code clock} in nanoseconds, for tests of the TTL. */
  ResultCache(int maxEntries, long ttlMs, LongSupplier clock) {
    if (maxEntries < 1 || ttlMs < 1) {
      throw new IllegalArgumentException("maxEntries and ttlMs must be >= 1");
    }
    this.maxEntries = maxEntries;
    this.ttlNanos = ttlMs * 1_000_000L;
    this.clock = clock;
  }

  /** The key of {@code image}'s bytes for a model, task generation and k. */
  public static Key key(byte[] image, String model, String task, long generation, int k) {
    MessageDigest sha = SHA256.get();
    return new Key(model, task, generation, k, HexFormat.of().formatHex(sha.digest(image)));
  }

  /** The stored prediction, or null (a miss, counted so). */
  public synchronized TopK.Prediction get(Key key) {
    Entry e = entries.get(key);
    if (e != null && expired(e)) {
      entries.remove(key);
      count(expiredEvictions);
      e = null;
    }
    if (e == null) {
      misses++;
      count(missCounter);
      return null;
    }
    hits++;
    count(hitCounter);
    return e.prediction();
  }

  public synchronized void put(Key key, TopK.Prediction prediction) {
    entries.put(key, new Entry(prediction, clock.getAsLong()));
    Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
    while (entries.size() > maxEntries && it.hasNext()) {
      Entry eldest = it.next().getValue();
      it.remove();
      count(expired(eldest) ? expiredEvictions : sizeEvictions);
    }
  }

  public synchronized int size() {
    return entries.size();
  }

  /** Hits over lookups since start; 0 before the first lookup. */
  public synchronized double hitRatio() {
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }

  /**
   * {@code loraflow_cache_lookups_total{result=hit|miss}}, {@code loraflow_cache_hit_ratio},
   * {@code loraflow_cache_entries} and {@code loraflow_cache_evictions_total{reason=size|expired}}.
   */
  public synchronized void bindTo(MeterRegistry registry) {
    hitCounter = Counter.builder("loraflow.cache.lookups").tag("result", "hit")
        .description("Result cache lookups").register(registry);
    missCounter = Counter.builder("loraflow.cache.lookups").tag("result", "miss")
        .description("Result cache lookups").register(registry);
    sizeEvictions = Counter.builder("loraflow.cache.evictions").tag("reason", "size")
        .description("Results dropped from the result cache").register(registry);
    expiredEvictions = Counter.builder("loraflow.cache.evictions").tag("reason", "expired")
        .description("Results dropped from the result cache").register(registry);
    Gauge.builder("loraflow.cache.hit.ratio", this::hitRatio)
        .description("Result cache hits over lookups since start").register(registry);
    Gauge.builder("loraflow.cache.entries", this::size).description("Results in the result cache").register(registry);
  }

  private boolean expired(Entry e) {
    return clock.getAsLong() - e.storedNanos() >= ttlNanos;
  }

  private static void count(Counter c) {
    if (c != null) {
      c.increment();
    }
  }
}
