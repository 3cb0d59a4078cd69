package io.loraflow.bench;

import static io.loraflow.bench.Harness.fmt;

import io.loraflow.config.LoraflowConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Issue 16's result cache: the bundled model end to end (saturated backlog) with 0 %, 50 % and
 * 90 % of the events repeating an earlier image, cache on, against 0 % with the cache off. Every
 * image is a distinct file whose bytes differ (the package's samples with their first pixels
 * overwritten by a serial number), so the duplicate share is the one the bench chose; duplicates
 * are spread at random over the backlog (fixed seed), so some are in flight beside their original
 * and computed twice: the measured hit ratio says how many were served from the cache.
 */
final class CacheCase {
  private static final double[] DUPLICATES = {0, 0.5, 0.9};

  private CacheCase() {
  }

  static JsonObject run(Runs runs, Path model, Map<String, String> defaults, List<Path> samples, int events)
      throws Exception {
    Path dir = Files.createTempDirectory("bench-cache");
    List<Path> unique = uniqueImages(samples, events, dir);
    JsonArray rows = new JsonArray();
    rows.add(row(runs, model, defaults, false, 0, unique, events));
    for (double d : DUPLICATES) {
      rows.add(row(runs, model, defaults, true, d, unique, events));
    }
    double off = rows.getJsonObject(0).getDouble("eventsPerSec");
    rows.forEach(r -> ((JsonObject) r).put("vsCacheOff", ((JsonObject) r).getDouble("eventsPerSec") / off));
    for (Path p : unique) {
      Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
    return new JsonObject().put("rows", rows).put("what", "bundled model end to end, a backlog of " + events
        + " events naming 28x28 PNG files, inference.threads=2; duplicates = share of events whose image bytes "
        + "an earlier event had, spread at random; cache.enabled=true with default bounds (vsCacheOff: events/s "
        + "over the 0 % run with the cache off)");
  }

  private static JsonObject row(Runs runs, Path model, Map<String, String> defaults, boolean cache, double duplicates,
      List<Path> unique, int events) throws Exception {
    Map<String, String> s = new HashMap<>(defaults);
    s.put(LoraflowConfig.CACHE_ENABLED, String.valueOf(cache));
    JsonObject e = runs.service(model, s, withDuplicates(unique, events, duplicates), events, 0, 0, null);
    JsonObject r = new JsonObject().put("cache", cache).put("duplicates", duplicates)
        .put("eventsPerSec", e.getDouble("eventsPerSec")).put("hitRatio", e.getDouble("cacheHitRatio"))
        .put("deadLetters", e.getLong("deadLetters"))
        .put("jvmCpuMsPerEvent", e.getDouble("jvmCpuMsPerEvent"));
    Harness.log("cache " + (cache ? "on" : "off") + " duplicates " + fmt(duplicates) + ": " + r.encode());
    return r;
  }

  /** {@code events} requests' images: the share {@code duplicates} repeats one of the others. */
  static List<Path> withDuplicates(List<Path> unique, int events, double duplicates) {
    int distinct = Math.max(1, (int) Math.round(events * (1 - duplicates)));
    Random random = new Random(16);
    List<Path> out = new ArrayList<>(unique.subList(0, distinct));
    while (out.size() < events) {
      out.add(unique.get(random.nextInt(distinct)));
    }
    Collections.shuffle(out, random);
    return out;
  }

  /** {@code n} PNGs with distinct bytes: sample {@code i % samples}, first three pixels = i. */
  private static List<Path> uniqueImages(List<Path> samples, int n, Path dir) throws IOException {
    List<BufferedImage> base = new ArrayList<>();
    for (Path p : samples) {
      base.add(ImageIO.read(p.toFile()));
    }
    List<Path> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      BufferedImage src = base.get(i % base.size());
      BufferedImage img = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setRect(src.getRaster());
      for (int b = 0; b < 3; b++) {
        img.getRaster().setSample(b, 0, 0, (i >> (8 * b)) & 0xff);
      }
      Path file = dir.resolve(i + ".png");
      ImageIO.write(img, "png", file.toFile());
      out.add(file);
    }
    return out;
  }
}
