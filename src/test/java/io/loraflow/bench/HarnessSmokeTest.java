package io.loraflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Keeps the benchmark harness from rotting: runs it in smoke mode (every case, seconds each) and
 * checks that the report has every case with numbers. It asserts no speed: the figures of a CI
 * machine mean nothing; docs/benchmarks.md has the measured ones.
 */
class HarnessSmokeTest {
  @Test
  void smokeRunReportsEveryCaseWithNumbers() throws Exception {
    Path out = Path.of("target/bench-smoke"); // kept for CI artifacts
    JsonObject report = Harness.run(new String[] {"--smoke", "--out", out.toString()});
    assertTrue(Files.size(out.resolve("report.json")) > 0);
    String md = Files.readString(out.resolve("report.md"));
    JsonObject cases = report.getJsonObject("cases");

    for (String k : new String[] {"smallModelBound", "pipeBound"}) {
      JsonObject c = cases.getJsonObject(k);
      assertNotNull(c, k);
      assertPositive(c.getDouble("ratio"), k + " ratio");
      assertNotNull(c.getBoolean("met"), k);
    }
    JsonObject small = cases.getJsonObject("smallModelBound").getJsonArray("rounds").getJsonObject(0);
    assertPositive(small.getJsonObject("bare").getDouble("imagesPerSec"), "bare ORT images/s");
    assertPositive(small.getJsonObject("endToEnd").getDouble("eventsPerSec"), "end-to-end events/s");
    assertEquals(0L, small.getJsonObject("endToEnd").getLong("deadLetters"), "no dead letters");
    assertPositive(small.getJsonObject("plainLoop").getDouble("eventsPerSec"), "plain loop events/s");
    assertPositive(cases.getJsonObject("smallModelBound").getDouble("ratioVsPlainLoop"), "service / plain loop");
    assertPositive(small.getJsonObject("endToEnd").getJsonObject("threadCpu").getDouble("total"), "CPU µs/event");
    JsonObject photos = cases.getJsonObject("photosVsPlainLoop");
    assertNotNull(photos, "photos case present");
    assertPositive(photos.getDouble("ratio"), "photos: service / plain loop");
    JsonObject photoRound = photos.getJsonArray("rounds").getJsonObject(0);
    assertEquals(0L, photoRound.getJsonObject("endToEnd").getLong("deadLetters"), "photos: no dead letters");
    assertPositive(photoRound.getJsonObject("plainLoop").getDouble("eventsPerSec"), "photos: plain loop events/s");
    JsonObject pipe = cases.getJsonObject("pipeBound").getJsonArray("rounds").getJsonObject(0);
    assertPositive(pipe.getJsonObject("passthrough").getDouble("eventsPerSec"), "passthrough events/s");
    assertPositive(pipe.getJsonObject("endToEnd").getJsonObject("threadCpu").getDouble("total"), "pipe CPU µs/event");
    JsonArray issue13 = report.getJsonObject("issue13").getJsonArray("rows");
    assertEquals(5, issue13.size(), "issue 13 rows: small, pipe x2, plain loop x2");
    for (int i = 0; i < issue13.size(); i++) {
      assertNotNull(issue13.getJsonObject(i).getJsonObject("bound").getString("stage"), issue13.getJsonObject(i).encode());
    }
    if (pipe.containsKey("kcat")) {
      assertPositive(pipe.getJsonObject("kcat").getDouble("eventsPerSec"), "kcat events/s");
    }

    JsonObject model = cases.getJsonObject("modelBound");
    assertNotNull(model, "model-bound case present");
    assertNotNull(model.getString("status"));

    JsonObject batching = cases.getJsonObject("batching");
    for (String k : new String[] {"batchAndDelay", "threadSplits"}) {
      JsonArray rows = batching.getJsonArray(k);
      assertTrue(rows.size() > 0, k);
      for (int i = 0; i < rows.size(); i++) {
        JsonObject r = rows.getJsonObject(i);
        assertPositive(r.getDouble("eventsPerSec"), k + " events/s " + r);
        assertPositive(r.getDouble("p50Ms"), k + " p50 " + r);
        assertPositive(r.getDouble("p99Ms"), k + " p99 " + r);
      }
    }
    assertNotNull(batching.getJsonObject("recommended").getInteger("max.batch.size"));

    JsonObject latency = cases.getJsonObject("latencyUnderLoad");
    for (String p : new String[] {"p50Ms", "p95Ms", "p99Ms"}) {
      assertPositive(latency.getDouble(p), "latency " + p);
    }

    JsonObject memory = cases.getJsonObject("memory");
    assertPositive(memory.getDouble("rssMbPeak"), "RSS " + memory);
    assertPositive(memory.getDouble("heapUsedMbPeak"), "heap " + memory);

    JsonArray cache = cases.getJsonObject("resultCache").getJsonArray("rows");
    assertEquals(4, cache.size(), "cache off, then on at 0, 50 and 90 % duplicates");
    for (int i = 0; i < cache.size(); i++) {
      JsonObject r = cache.getJsonObject(i);
      assertPositive(r.getDouble("eventsPerSec"), "cache events/s " + r);
      assertEquals(0L, r.getLong("deadLetters"), "cache: no dead letters " + r);
    }
    assertNull(cache.getJsonObject(0).getValue("hitRatio"), "no cache metrics with the cache off");
    assertEquals(0.0, cache.getJsonObject(1).getDouble("hitRatio"), "0 % duplicates: no hits");
    assertPositive(cache.getJsonObject(3).getDouble("hitRatio"), "90 % duplicates: hits");

    assertNotNull(cases.getJsonObject("attentionFusion").getString("status"));
    for (String heading : new String[] {"## Ratios", "## Small-model-bound", "## Pipe-bound", "## Batching and threads",
        "## Latency under load", "## Memory", "## Attention fusion", "### Plain poll loop",
        "### CPU µs per event by thread group", "## Issue 13 targets", "## Where time goes",
        "## Photos: service vs plain poll loop", "## Result cache"}) {
      assertTrue(md.contains(heading), heading);
    }
  }

  private static void assertPositive(Double v, String what) {
    assertNotNull(v, what);
    assertTrue(!v.isNaN() && v > 0, what + ": " + v);
  }
}
