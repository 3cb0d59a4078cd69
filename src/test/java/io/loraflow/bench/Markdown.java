package io.loraflow.bench;

import static io.loraflow.bench.Harness.fmt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** report.json → report.md. */
final class Markdown {
  private static final String ROUNDS_HEADER = "| Round | Bare ORT images/s | End-to-end events/s | Mean batch | Ratio "
      + "| JVM CPU cores used (bare / e2e) | JVM CPU ms per image/event (bare / e2e) | Load |\n"
      + "|---|---|---|---|---|---|---|---|\n";

  private Markdown() {
  }

  static String render(JsonObject report) {
    JsonObject m = report.getJsonObject("meta");
    JsonObject c = report.getJsonObject("cases");
    StringBuilder s = new StringBuilder();
    s.append("# loraflow benchmark report\n\n");
    s.append("- Date: ").append(m.getString("date")).append(" (").append(m.getString("mode")).append(" mode)\n");
    s.append("- Machine: ").append(m.getInteger("cores")).append(" cores, ").append(m.getString("cpu")).append(", ")
        .append(m.getString("java")).append('\n');
    s.append("- Load average (1/5/15 min): ").append(m.getString("loadAverageAtStart")).append(" at start, ")
        .append(m.getString("loadAverageAtEnd")).append(" at end\n");
    s.append("- Command: `").append(m.getString("command")).append("` (code at ").append(m.getString("commit"))
        .append(")\n\n");

    issue13(s, report.getJsonObject("issue13"));
    s.append("## Ratios\n\nTargets: issue 13's; issue 9's older ones in the last two columns.\n\n"
        + "| Case | Ratio (median) | Rounds | Target | Verdict | Issue 9 target | Verdict |\n|---|---|---|---|---|---|---|\n");
    ratioRow(s, "Small-model-bound: end-to-end / bare ORT", c.getJsonObject("smallModelBound"));
    JsonObject sm = c.getJsonObject("smallModelBound");
    if (sm != null && sm.getValue("ratioVsPlainLoop") != null) {
      double v = sm.getDouble("ratioVsPlainLoop");
      s.append("| Small-model-bound: end-to-end / plain poll loop (28x28 PNG) | **").append(fmt(v))
          .append("** | ").append(sm.getJsonArray("rounds").stream()
              .map(o -> fmt(((JsonObject) o).getDouble("ratioVsPlainLoop"))).toList())
          .append(" | ≥ ").append(fmt(Harness.TARGET_VS_PLAIN_LOOP)).append(" | ")
          .append(v >= Harness.TARGET_VS_PLAIN_LOOP ? "met" : "missed").append(" | — | — |\n");
    }
    ratioRow(s, "Photos: end-to-end / plain poll loop (JPEG photos)", c.getJsonObject("photosVsPlainLoop"));
    ratioRow(s, "Model-bound (ViT-B/16): end-to-end / bare ORT", c.getJsonObject("modelBound"));
    ratioRow(s, "Pipe-bound: end-to-end / Vert.x passthrough", c.getJsonObject("pipeBound"));
    s.append('\n');
    whereTimeGoes(s, c);

    JsonObject small = c.getJsonObject("smallModelBound");
    if (small != null) {
      s.append("## Small-model-bound\n\n").append(small.getString("what")).append(".\n\n");
      s.append(ROUNDS_HEADER);
      rounds(s, small.getJsonArray("rounds"), "bare", "imagesPerSec");
      plainLoop(s, small);
      profile(s, "End-to-end profile (JFR)", small.getJsonArray("rounds").getJsonObject(0).getJsonObject("endToEnd"));
    }
    JsonObject photos = c.getJsonObject("photosVsPlainLoop");
    if (photos != null) {
      s.append("## Photos: service vs plain poll loop\n\n").append(photos.getString("what")).append(" (")
          .append(photos.getJsonArray("images").encode()).append("). Plain loop: ").append(photos.getString("plainLoop"))
          .append(".\n\n| Round | Service events/s (mean batch) | Plain loop events/s | service ÷ plain loop | "
              + "JVM CPU ms per event (service / plain) | Load |\n|---|---|---|---|---|---|\n");
      JsonArray rs = photos.getJsonArray("rounds");
      for (int i = 0; i < rs.size(); i++) {
        JsonObject r = rs.getJsonObject(i);
        JsonObject e = r.getJsonObject("endToEnd");
        JsonObject p = r.getJsonObject("plainLoop");
        s.append("| ").append(i + 1).append(" | ").append(fmt(e.getDouble("eventsPerSec"))).append(" (")
            .append(fmt(e.getDouble("meanBatch"))).append(") | ").append(fmt(p.getDouble("eventsPerSec"))).append(" | ")
            .append(fmt(r.getDouble("ratio"))).append(" | ").append(fmt(e.getDouble("jvmCpuMsPerEvent"))).append(" / ")
            .append(fmt(p.getDouble("jvmCpuMsPerEvent"))).append(" | ").append(r.getString("load")).append(" |\n");
      }
      s.append('\n');
      roundsCpuTable(s, rs, "endToEnd", "service", "plainLoop", "plain loop");
    }
    JsonObject vit = c.getJsonObject("modelBound");
    if (vit != null) {
      s.append("## Model-bound (ViT-B/16-224 with LoRA)\n\n");
      if (!"measured".equals(vit.getString("status"))) {
        s.append("Skipped: ").append(vit.getString("note")).append("\n\n");
      } else {
        s.append(vit.getString("what")).append(".\n\n");
        s.append(ROUNDS_HEADER);
        rounds(s, vit.getJsonArray("rounds"), "bare", "imagesPerSec");
        profile(s, "End-to-end profile (JFR)", vit.getJsonArray("rounds").getJsonObject(0).getJsonObject("endToEnd"));
      }
    }
    JsonObject pipe = c.getJsonObject("pipeBound");
    if (pipe != null) {
      s.append("## Pipe-bound\n\n").append(pipe.getString("what")).append(".\n\n");
      s.append("| Round | Service end-to-end events/s | Same, service in the benchmark's JVM | Vert.x passthrough events/s | kcat passthrough events/s | "
          + "Ratio (service/passthrough) | Ratio, service in the benchmark's JVM | Passthrough/kcat | CPU cores (service / passthrough) "
          + "| CPU ms per event (service / passthrough) | Load |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
      JsonArray rs = pipe.getJsonArray("rounds");
      for (int i = 0; i < rs.size(); i++) {
        JsonObject r = rs.getJsonObject(i);
        JsonObject k = r.getJsonObject("kcat");
        JsonObject inJvm = r.getJsonObject("endToEndInJvm");
        s.append("| ").append(i + 1).append(" | ").append(fmt(r.getJsonObject("endToEnd").getDouble("eventsPerSec")))
            .append(" | ").append(inJvm == null ? "n/a" : fmt(inJvm.getDouble("eventsPerSec")))
            .append(" | ").append(fmt(r.getJsonObject("passthrough").getDouble("eventsPerSec"))).append(" | ")
            .append(k == null ? "n/a" : fmt(k.getDouble("eventsPerSec"))).append(" | ").append(fmt(r.getDouble("ratio")))
            .append(" | ").append(r.getValue("ratioInJvm") == null ? "n/a" : fmt(r.getDouble("ratioInJvm")))
            .append(" | ").append(fmt(r.getDouble("passthroughVsKcat"))).append(" | ")
            .append(fmt(r.getJsonObject("endToEnd").getDouble("jvmCpuCores"))).append(" / ")
            .append(fmt(r.getJsonObject("passthrough").getDouble("jvmCpuCores"))).append(" | ")
            .append(fmt(r.getJsonObject("endToEnd").getDouble("jvmCpuMsPerEvent"))).append(" / ")
            .append(fmt(r.getJsonObject("passthrough").getDouble("jvmCpuMsPerEvent"))).append(" | ").append(r.getString("load"))
            .append(" |\n");
      }
      if (pipe.getString("kcatNote") != null) {
        s.append("\n").append(pipe.getString("kcatNote")).append('\n');
      }
      s.append('\n');
      roundsCpuTable(s, rs, "endToEnd", "service", "passthrough", "passthrough");
      profile(s, "Service end-to-end profile (JFR)", rs.getJsonObject(0).getJsonObject("endToEnd"));
      profile(s, "Vert.x passthrough profile (JFR)", rs.getJsonObject(0).getJsonObject("passthrough"));
    }
    JsonObject b = c.getJsonObject("batching");
    if (b != null) {
      s.append("## Batching and threads\n\n").append(b.getString("what")).append(". Load ").append(b.getString("load"))
          .append(".\n\n");
      s.append("| max.batch.size | max.queue.delay.ms | decode.threads | inference.threads | events/s | mean batch | "
          + "p50 ms | p99 ms |\n|---|---|---|---|---|---|---|---|\n");
      for (String k : new String[] {"batchAndDelay", "threadSplits"}) {
        JsonArray rows = b.getJsonArray(k);
        for (int i = 0; i < rows.size(); i++) {
          JsonObject r = rows.getJsonObject(i);
          s.append("| ").append(r.getValue("max.batch.size")).append(" | ").append(r.getValue("max.queue.delay.ms"))
              .append(" | ").append(r.getValue("decode.threads")).append(" | ").append(r.getValue("inference.threads"))
              .append(" | ").append(fmt(r.getDouble("eventsPerSec"))).append(" | ").append(fmt(r.getDouble("meanBatch")))
              .append(" | ").append(fmt(r.getDouble("p50Ms"))).append(" | ").append(fmt(r.getDouble("p99Ms")))
              .append(" |\n");
        }
      }
      s.append("\nRecommended: `").append(b.getJsonObject("recommended").encode()).append("`\n\n");
    }
    JsonObject l = c.getJsonObject("latencyUnderLoad");
    if (l != null) {
      s.append("## Latency under load\n\n").append(l.getString("what")).append(": ").append(fmt(l.getDouble("rate")))
          .append(" events/s offered (max ").append(fmt(l.getDouble("maxEventsPerSec"))).append(") for ")
          .append(fmt(l.getDouble("seconds"))).append(" s. Load ").append(l.getString("load")).append(".\n\n")
          .append("| p50 ms | p95 ms | p99 ms | max ms | samples |\n|---|---|---|---|---|\n");
      JsonObject p = l.getJsonObject("paced", new JsonObject());
      s.append("| ").append(fmt(p.getDouble("p50Ms"))).append(" | ").append(fmt(p.getDouble("p95Ms"))).append(" | ")
          .append(fmt(p.getDouble("p99Ms"))).append(" | ").append(fmt(p.getDouble("maxMs"))).append(" | ")
          .append(p.getValue("samples")).append(" |\n\n");
      JsonObject split = p.getJsonObject("split");
      if (split != null) {
        s.append("Where it goes (percentiles of each part on its own, so they do not add up): `in` = the request's "
            + "way in, the wait for an in-flight slot, parsing, and inference done to the result's send; `service` = "
            + "the result's timingsMs.total (fetch, decode, batch queue, inference); `out` = the result's send to "
            + "its arrival at the collector (linger, broker; ms resolution). Mean batch in the paced phase ")
            .append(fmt(p.getDouble("meanBatch"))).append("; stage means over it: `")
            .append(p.getJsonObject("stageMeanMs").encode()).append("`; GC in the phase (whole JVM: broker and "
                + "clients too): `").append(p.getJsonObject("gc").encode()).append("`.\n\n| part | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|\n");
        for (String part : new String[] {"in", "service", "out"}) {
          JsonObject q = split.getJsonObject(part);
          s.append("| ").append(part).append(" | ").append(fmt(q.getDouble("p50Ms"))).append(" | ")
              .append(fmt(q.getDouble("p95Ms"))).append(" | ").append(fmt(q.getDouble("p99Ms"))).append(" |\n");
        }
        s.append("\n");
      }
    }
    JsonObject mem = c.getJsonObject("memory");
    if (mem != null) {
      s.append("## Memory\n\n").append(mem.getString("what")).append(" (JVM flags `").append(mem.getString("jvmFlags"))
          .append("`). Load ").append(mem.getString("load")).append(".\n\n");
      if (mem.getString("error") != null) {
        s.append("Error: ").append(mem.getString("error")).append("\n\n");
      } else {
        s.append("| RSS first MB | RSS last MB | RSS peak MB | heap used peak MB | heap used mean MB | non-heap MB | "
            + "sent | results |\n|---|---|---|---|---|---|---|---|\n| ")
            .append(mem.getValue("rssMbFirst")).append(" | ").append(mem.getValue("rssMbLast")).append(" | ")
            .append(mem.getValue("rssMbPeak")).append(" | ").append(mem.getValue("heapUsedMbPeak")).append(" | ")
            .append(mem.getValue("heapUsedMbMean")).append(" | ").append(mem.getValue("nonHeapMbLast")).append(" | ")
            .append(mem.getValue("sent")).append(" | ").append(mem.getValue("results")).append(" |\n\n");
        s.append("Samples (s, RSS MB, heap MB, non-heap MB, results): `").append(mem.getJsonArray("samples").encode())
            .append("`\n\n");
      }
    }
    JsonObject d = c.getJsonObject("imageDecode");
    if (d != null) {
      s.append("## Image decode (JMH)\n\n`").append(d.getString("command")).append("`, status ")
          .append(d.getString("status")).append(" (full output: `").append(d.getString("output")).append("`).\n\n```\n");
      for (String k : new String[] {"jmh", "cpuTime"}) {
        JsonArray rows = d.getJsonArray(k, new JsonArray());
        for (int i = 0; i < rows.size(); i++) {
          s.append(rows.getString(i)).append('\n');
        }
      }
      s.append("```\n\n");
    }
    JsonObject cache = c.getJsonObject("resultCache");
    if (cache != null) {
      s.append("## Result cache\n\n").append(cache.getString("what")).append(".\n\n")
          .append("| Cache | Duplicates | events/s | vs cache off | Hit ratio | JVM CPU ms/event |\n"
              + "|---|---|---|---|---|---|\n");
      for (Object o : cache.getJsonArray("rows")) {
        JsonObject r = (JsonObject) o;
        s.append("| ").append(r.getBoolean("cache") ? "on" : "off").append(" | ")
            .append(Math.round(r.getDouble("duplicates") * 100)).append(" % | ").append(fmt(r.getDouble("eventsPerSec")))
            .append(" | ").append(fmt(r.getDouble("vsCacheOff"))).append(" | ").append(fmt(r.getDouble("hitRatio")))
            .append(" | ").append(fmt(r.getDouble("jvmCpuMsPerEvent")))
            .append(" |\n");
      }
      s.append('\n');
    }
    JsonObject f = c.getJsonObject("attentionFusion");
    if (f != null) {
      s.append("## Attention fusion\n\nStatus: ").append(f.getString("status")).append(". ").append(f.getString("note"))
          .append("\n");
    }
    return s.toString();
  }

  private static void ratioRow(StringBuilder s, String name, JsonObject c) {
    if (c == null) {
      return;
    }
    if (c.getValue("ratio") == null) {
      s.append("| ").append(name).append(" | ").append(c.getString("status")).append(" | | ≥ ")
          .append(fmt(c.getDouble("target"))).append(" | — | | |\n");
      return;
    }
    s.append("| ").append(name).append(" | **").append(fmt(c.getDouble("ratio"))).append("** | ")
        .append(c.getJsonArray("ratios").stream().map(o -> fmt((Double) o)).toList()).append(" | ≥ ")
        .append(fmt(c.getDouble("target"))).append(" | ").append(c.getBoolean("met") ? "met" : "missed").append(" | ");
    if (c.getValue("targetIssue9") != null) {
      s.append("≥ ").append(fmt(c.getDouble("targetIssue9"))).append(" | ")
          .append(c.getBoolean("metIssue9") ? "met" : "missed");
    } else {
      s.append("— | —");
    }
    s.append(" |\n");
  }

  private static void rounds(StringBuilder s, JsonArray rs, String bareKey, String bareField) {
    for (int i = 0; i < rs.size(); i++) {
      JsonObject r = rs.getJsonObject(i);
      JsonObject e = r.getJsonObject("endToEnd");
      s.append("| ").append(i + 1).append(" | ").append(fmt(r.getJsonObject(bareKey).getDouble(bareField))).append(" | ")
          .append(fmt(e.getDouble("eventsPerSec"))).append(" | ").append(fmt(e.getDouble("meanBatch"))).append(" | ")
          .append(fmt(r.getDouble("ratio"))).append(" | ").append(fmt(r.getJsonObject(bareKey).getDouble("jvmCpuCores")))
          .append(" / ").append(fmt(e.getDouble("jvmCpuCores"))).append(" | ")
          .append(fmt(r.getJsonObject(bareKey).getDouble("jvmCpuMsPerImage"))).append(" / ")
          .append(fmt(e.getDouble("jvmCpuMsPerEvent"))).append(" | ").append(r.getString("load")).append(" |\n");
    }
    s.append('\n');
  }

  /** The plain poll-loop rounds, then round 1's CPU by thread group and the service's stage timers. */
  private static void plainLoop(StringBuilder s, JsonObject small) {
    JsonArray rs = small.getJsonArray("rounds");
    if (small.getString("plainLoop") == null) {
      return;
    }
    s.append("### Plain poll loop\n\n").append(small.getString("plainLoop")).append(". Same backlog and images as "
        + "the service run, timed by the same collector.\n\n| Round | Plain loop events/s | Service events/s | "
        + "Bare ORT images/s | service ÷ plain loop | service ÷ bare ORT | JVM CPU ms per event (plain / service) |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < rs.size(); i++) {
      JsonObject r = rs.getJsonObject(i);
      JsonObject p = r.getJsonObject("plainLoop");
      JsonObject e = r.getJsonObject("endToEnd");
      s.append("| ").append(i + 1).append(" | ").append(fmt(p.getDouble("eventsPerSec"))).append(" | ")
          .append(fmt(e.getDouble("eventsPerSec"))).append(" | ")
          .append(fmt(r.getJsonObject("bare").getDouble("imagesPerSec"))).append(" | ")
          .append(fmt(r.getDouble("ratioVsPlainLoop"))).append(" | ").append(fmt(r.getDouble("ratio"))).append(" | ")
          .append(fmt(p.getDouble("jvmCpuMsPerEvent"))).append(" / ").append(fmt(e.getDouble("jvmCpuMsPerEvent")))
          .append(" |\n");
    }
    JsonObject first = rs.getJsonObject(0).getJsonObject("endToEnd").getJsonObject("threadCpu");
    if (first != null) {
      s.append("\n### CPU µs per event by thread group\n\nPer-thread CPU time (`/proc/self/task/*`) "
          + "between the collector's result N/5 and result N, divided by the events in that window. One JVM: "
          + "the broker and the collector are in both columns. ORT's intra-op pool (native threads, told apart "
          + "by the JVM's thread dump) is a group of its own; the thread that calls ORT works on the batch too. "
          + "No measured round is recorded by JFR: the profiles come from extra runs after the rounds.\n\n");
      roundsCpuTable(s, rs, "endToEnd", "service", "plainLoop", "plain loop");
      s.append("Busiest threads (service, round 1): `").append(first.getJsonArray("topThreads").encode())
          .append("`\n");
    }
    JsonObject st = rs.getJsonObject(0).getJsonObject("endToEnd").getJsonObject("stageMeanUs");
    if (st != null) {
      s.append("\nService stage timers (`loraflow.stage.duration`, mean wall-clock µs per event over the whole "
          + "run, waiting included): ");
      st.forEach(e -> s.append(e.getKey()).append(' ').append(e.getValue()).append(", "));
      s.setLength(s.length() - 2);
      s.append(".\n");
    }
    s.append('\n');
  }

  /** Issue 13's targets, verdicts, and the busiest service stage of each case ({@link Issue13}). */
  private static void issue13(StringBuilder s, JsonObject v) {
    if (v == null || v.getJsonArray("rows").isEmpty()) {
      return;
    }
    s.append("## Issue 13 targets\n\nBusiest stage: ").append(v.getString("boundRule")).append(". Ceiling (plain-loop "
        + "rows): bare ORT images/s ÷ plain loop events/s, the most the ratio can be while the service is bounded by "
        + "ORT.\n\n| Target | Measured | Threshold | Verdict | Busiest service stage: µs/event (cores) | Service "
        + "total µs/event | Ceiling | Issue 9 threshold |\n|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < v.getJsonArray("rows").size(); i++) {
      JsonObject r = v.getJsonArray("rows").getJsonObject(i);
      JsonObject b = r.getJsonObject("bound");
      s.append("| ").append(r.getString("target")).append(" | **").append(fmt(r.getDouble("measured"))).append("** | ≥ ")
          .append(fmt(r.getDouble("threshold"))).append(" | ").append(r.getBoolean("met") ? "met" : "missed")
          .append(" | ").append(b == null ? "n/a" : b.getString("stage") + ": " + fmt(b.getDouble("usPerEvent")) + " ("
              + fmt(b.getDouble("cores")) + ")")
          .append(" | ").append(b == null ? "n/a" : fmt(b.getDouble("serviceTotalUsPerEvent")))
          .append(" | ").append(r.getValue("ceiling") == null ? "—" : fmt(r.getDouble("ceiling")))
          .append(" | ").append(r.getValue("issue9Threshold") == null ? "—" : "≥ " + fmt(r.getDouble("issue9Threshold")))
          .append(" |\n");
    }
    s.append('\n');
  }

  /** Medians over the rounds of each case: events/s and CPU µs per event by thread group, side by side. */
  private static void whereTimeGoes(StringBuilder s, JsonObject c) {
    List<String> heads = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    List<JsonObject> cpus = new ArrayList<>();
    String[][] cols = {{"smallModelBound", "small service", "small plain loop"},
        {"photosVsPlainLoop", "photos service", "photos plain loop"}, {"pipeBound", "pipe service", "pipe passthrough"}};
    for (String[] col : cols) {
      JsonObject k = c.getJsonObject(col[0]);
      if (k == null || k.getJsonObject("threadCpu") == null) {
        continue;
      }
      heads.add(col[1]);
      rates.add(k.getDouble("eventsPerSec"));
      cpus.add(k.getJsonObject("threadCpu").getJsonObject("service"));
      heads.add(col[2]);
      rates.add(k.getDouble("otherEventsPerSec"));
      cpus.add(k.getJsonObject("threadCpu").getJsonObject("other"));
    }
    if (heads.isEmpty()) {
      return;
    }
    s.append("## Where time goes: CPU µs per event by thread group\n\nMedians over the rounds (each group's own "
        + "median). One JVM: the broker and the collector are in every column.\n\n");
    cpuTable(s, heads, cpus, rates);
  }

  /** Per round, two sides: a CPU µs/event column each. */
  private static void roundsCpuTable(StringBuilder s, JsonArray rs, String side1, String name1, String side2,
      String name2) {
    List<String> heads = new ArrayList<>();
    List<JsonObject> cpus = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      for (String[] side : new String[][] {{side1, name1}, {side2, name2}}) {
        JsonObject run = rs.getJsonObject(i).getJsonObject(side[0]);
        heads.add(side[1] + " r" + (i + 1));
        cpus.add(run.getJsonObject("threadCpu"));
        rates.add(run.getDouble("eventsPerSec"));
      }
    }
    cpuTable(s, heads, cpus, rates);
  }

  private static void cpuTable(StringBuilder s, List<String> heads, List<JsonObject> cpus, List<Double> rates) {
    JsonObject first = cpus.stream().filter(java.util.Objects::nonNull).findFirst().orElse(null);
    if (first == null) {
      return;
    }
    s.append("| Thread group |");
    heads.forEach(h -> s.append(' ').append(h).append(" |"));
    s.append("\n|---|").append("---:|".repeat(heads.size())).append("\n| events/s |");
    rates.forEach(r -> s.append(' ').append(fmt(r)).append(" |"));
    s.append('\n');
    for (String k : first.getJsonObject("groups").fieldNames()) {
      s.append("| ").append(k).append(" |");
      cpus.forEach(t -> s.append(' ').append(t == null ? "n/a" : us(t.getJsonObject("groups").getDouble(k))).append(" |"));
      s.append('\n');
    }
    s.append("| **total** |");
    cpus.forEach(t -> s.append(" **").append(t == null ? "n/a" : us(t.getDouble("total"))).append("** |"));
    s.append("\n\n");
  }

  /** µs per event: whole µs from 10 on, one decimal below. */
  private static String us(Double v) {
    return v == null || v.isNaN() ? "n/a" : String.format(v >= 10 ? "%.0f" : "%.1f", v);
  }

  private static void profile(StringBuilder s, String title, JsonObject run) {
    JsonObject p = run == null ? null : run.getJsonObject("profile");
    if (p == null || p.getJsonArray("topSelfFrames") == null) {
      return;
    }
    s.append("### ").append(title).append("\n\n").append(p.getInteger("javaSamples")).append(" Java samples, ")
        .append(p.getInteger("nativeSamples")).append(" native samples (`results/jfr/").append(p.getString("file"))
        .append("`).\n\n");
    s.append("| Where (first own/library frame) | % of Java samples |\n|---|---|\n");
    list(s, p.getJsonArray("byArea"), 10);
    s.append("\n| Top self frames | % |\n|---|---|\n");
    list(s, p.getJsonArray("topSelfFrames"), 10);
    s.append("\n| Java samples by thread | % |\n|---|---|\n");
    list(s, p.getJsonArray("javaSamplesByThread"), 6);
    s.append('\n');
  }

  private static void list(StringBuilder s, JsonArray a, int n) {
    for (int i = 0; i < Math.min(n, a.size()); i++) {
      JsonObject o = a.getJsonObject(i);
      s.append("| `").append(o.getString("frame")).append("` | ").append(o.getValue("pct")).append(" |\n");
    }
  }
}
