package io.loraflow.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * JFR around one measured run ({@code profile} settings: Java samples every 10 ms, native
 * samples every 20 ms), dumped to {@code results/jfr/NAME.jfr} and summarised as the top
 * self frames, top frames grouped by package (first party frames attributed to their first
 * loraflow/kafka/vertx/ORT frame) and samples per thread group. The same summary as
 * {@code jfr print --events jdk.ExecutionSample FILE}, aggregated.
 */
final class Profiles {
  private Profiles() {
  }

  static Recording start(String name) {
    if (Boolean.getBoolean("bench.noProfile")) {
      return null;
    }
    try {
      Recording r = new Recording(Configuration.getConfiguration("profile"));
      r.setName(name);
      r.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(10));
      r.enable("jdk.NativeMethodSample").withPeriod(java.time.Duration.ofMillis(20));
      r.start();
      return r;
    } catch (IOException | ParseException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops the recording, writes it under {@code dir} and returns its summary. */
  static JsonObject stop(Recording r, Path dir) {
    try {
      r.stop();
      Files.createDirectories(dir);
      Path file = dir.resolve(r.getName() + ".jfr");
      r.dump(file);
      r.close();
      return summarise(file);
    } catch (IOException e) {
      return new JsonObject().put("error", e.toString());
    }
  }

  static JsonObject summarise(Path file) throws IOException {
    Map<String, Integer> selfJava = new HashMap<>();
    Map<String, Integer> byArea = new HashMap<>();
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> selfNative = new HashMap<>();
    int java = 0;
    int nat = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      boolean isJava = type.equals("jdk.ExecutionSample");
      if (!isJava && !type.equals("jdk.NativeMethodSample")) {
        continue;
      }
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = st.getFrames();
      String top = frame(frames.get(0));
      RecordedThread t = e.getThread("sampledThread");
      String thread = t == null ? "?" : threadGroup(t.getJavaName());
      if (isJava) {
        java++;
        selfJava.merge(top, 1, Integer::sum);
        byArea.merge(area(frames), 1, Integer::sum);
        byThread.merge(thread, 1, Integer::sum);
      } else {
        nat++;
        selfNative.merge(thread + " " + top, 1, Integer::sum);
      }
    }
    return new JsonObject().put("file", file.getFileName().toString())
        .put("javaSamples", java).put("nativeSamples", nat)
        .put("topSelfFrames", top(selfJava, java, 15, Function.identity()))
        .put("byArea", top(byArea, java, 12, Function.identity()))
        .put("javaSamplesByThread", top(byThread, java, 10, Function.identity()))
        .put("topNativeFrames", top(selfNative, nat, 8, Function.identity()));
  }

  private static JsonArray top(Map<String, Integer> counts, int total, int n, Function<String, String> label) {
    JsonArray out = new JsonArray();
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(n)
        .forEach(e -> out.add(new JsonObject().put("frame", label.apply(e.getKey())).put("samples", e.getValue())
            .put("pct", Math.round(1000.0 * e.getValue() / Math.max(1, total)) / 10.0)));
    return out;
  }

  private static String frame(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  /** Which part of the stack a sample belongs to: the first frame (from the top) that is ours or a library's. */
  private static String area(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String cls = f.getMethod().getType().getName();
      for (String prefix : List.of("io.loraflow.image.", "io.loraflow.", "org.apache.kafka.", "kafka.",
          "io.vertx.", "io.netty.", "ai.onnxruntime.", "javax.imageio.", "com.sun.imageio.",
          "com.twelvemonkeys.", "io.micrometer.", "com.fasterxml.jackson.", "jdk.jfr.")) {
        if (cls.startsWith(prefix)) {
          String pkg = cls.substring(0, cls.lastIndexOf('.'));
          return pkg.startsWith("io.loraflow") ? pkg : prefix.substring(0, prefix.length() - 1);
        }
      }
    }
    String cls = frames.get(0).getMethod().getType().getName();
    int dot = cls.lastIndexOf('.');
    return dot < 0 ? cls : cls.substring(0, dot);
  }

  private static String threadGroup(String name) {
    if (name == null) {
      return "?";
    }
    return name.replaceAll("[-#]?\\d+$", "").replaceAll("-\\d+-", "-");
  }
}
