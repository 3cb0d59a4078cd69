package io.loraflow.image;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (not wall time) per image of decode + preprocess to 224², for comparison with
 * {@code djpeg}'s CPU time on a loaded machine, where JMH's wall-clock numbers and a spawned
 * process's start-up swamp a 2 ms decode. Prints the best of several rounds in milliseconds.
 * Usage: {@code java -cp target/benchmarks.jar io.loraflow.image.CpuTimeComparison FILE.jpg}.
 */
public final class CpuTimeComparison {
  private CpuTimeComparison() {}

  public static void main(String[] args) throws IOException {
    byte[] jpeg = Files.readAllBytes(Path.of(args[0]));
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    Preprocessor vit = new Preprocessor(PreprocessSpec.fromJson(
        new JsonObject("{\"resize\": 256, \"crop\": [224, 224]}")));
    FloatBuffer tensor = ByteBuffer.allocateDirect(3 * 224 * 224 * 4)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    int n = 200;
    double bestDecode = Double.MAX_VALUE;
    double bestTotal = Double.MAX_VALUE;
    for (int round = 0; round < 10; round++) {
      long t0 = mx.getCurrentThreadCpuTime();
      DecodedImage img = null;
      for (int i = 0; i < n; i++) {
        img = decoder.decode(jpeg);
      }
      long t1 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < n; i++) {
        vit.writeTo(decoder.decode(jpeg), tensor, 0);
      }
      long t2 = mx.getCurrentThreadCpuTime();
      bestDecode = Math.min(bestDecode, (t1 - t0) / 1e6 / n);
      bestTotal = Math.min(bestTotal, (t2 - t1) / 1e6 / n);
    }
    System.out.printf("decoders %s%njava decode %.3f ms cpu%njava decode+preprocess %.3f ms cpu%n",
        ImageDecoder.backends(), bestDecode, bestTotal);
  }
}
