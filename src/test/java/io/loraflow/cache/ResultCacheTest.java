package io.loraflow.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.loraflow.inference.TopK;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultCacheTest {
  private static final TopK.Prediction BAG = new TopK.Prediction(List.of("Bag"), List.of(0.9));
  private static final TopK.Prediction COAT = new TopK.Prediction(List.of("Coat"), List.of(0.8));
  private final byte[] image = {1, 2, 3};
  private long now;

  @Test
  void keyCoversBytesModelTaskGenerationAndK() {
    ResultCache.Key k = ResultCache.key(image, "m 1.0.0", "fashion", 1, 5);
    assertEquals(k, ResultCache.key(new byte[] {1, 2, 3}, "m 1.0.0", "fashion", 1, 5));
    assertNotEquals(k, ResultCache.key(new byte[] {1, 2, 4}, "m 1.0.0", "fashion", 1, 5));
    assertNotEquals(k, ResultCache.key(image, "m 1.0.1", "fashion", 1, 5));
    assertNotEquals(k, ResultCache.key(image, "m 1.0.0", "digits", 1, 5));
    assertNotEquals(k, ResultCache.key(image, "m 1.0.0", "fashion", 2, 5));
    assertNotEquals(k, ResultCache.key(image, "m 1.0.0", "fashion", 1, 3));
    assertEquals("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", k.sha256());
  }

  @Test
  void expiresAfterTheTtl() {
    ResultCache cache = new ResultCache(10, 1_000, () -> now);
    ResultCache.Key k = ResultCache.key(image, "m", "t", 1, 5);
    cache.put(k, BAG);
    now += 999_000_000L;
    assertEquals(BAG, cache.get(k));
    now += 1_000_000L;
    assertNull(cache.get(k));
    assertEquals(0, cache.size());
  }

  @Test
  void dropsTheLeastRecentlyUsedBeyondMaxEntriesAndCountsTheHitRatio() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ResultCache cache = new ResultCache(2, 60_000, () -> now);
    cache.bindTo(registry);
    ResultCache.Key a = ResultCache.key(new byte[] {1}, "m", "t", 1, 5);
    ResultCache.Key b = ResultCache.key(new byte[] {2}, "m", "t", 1, 5);
    ResultCache.Key c = ResultCache.key(new byte[] {3}, "m", "t", 1, 5);
    cache.put(a, BAG);
    cache.put(b, COAT);
    assertEquals(BAG, cache.get(a)); // a is now the more recently used
    cache.put(c, BAG);
    assertNull(cache.get(b));
    assertEquals(BAG, cache.get(a));
    assertEquals(2, cache.size());
    assertEquals(2.0 / 3, cache.hitRatio(), 1e-9);
    String scrape = registry.scrape();
    assertContains(scrape, "loraflow_cache_lookups_total{result=\"hit\"} 2.0");
    assertContains(scrape, "loraflow_cache_lookups_total{result=\"miss\"} 1.0");
    assertContains(scrape, "loraflow_cache_evictions_total{reason=\"size\"} 1.0");
    assertContains(scrape, "loraflow_cache_hit_ratio 0.666");
    assertContains(scrape, "loraflow_cache_entries 2.0");
  }

  private static void assertContains(String text, String part) {
    if (!text.contains(part)) {
      throw new AssertionError("'" + part + "' not in:\n" + text);
    }
  }
}
