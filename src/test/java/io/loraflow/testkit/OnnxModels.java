package io.loraflow.testkit;

import io.loraflow.inference.AdapterFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Writes small model packages for tests and benchmarks, with no Python: an ONNX classifier
 * {@code logits = ((flatten(x) · W1) · I^depth) · W2} over 3×28×28 inputs, serialised by hand as
 * ONNX protobuf (IR 8, opset 17). {@code depth} identity MatMuls make it as slow as a test needs
 * without changing its outputs; {@code depth = 0} is a classifier of negligible cost.
 */
public final class OnnxModels {
  public static final int SIDE = 28;
  public static final int CLASSES = 10;

  private OnnxModels() {
  }

  /** A model package of a matmul classifier with {@code hidden} units and {@code depth} extra layers. */
  public static Path writePackage(Path dir, String name, int hidden, int depth) throws IOException {
    Files.createDirectories(dir);
    Random rnd = new Random(42);
    float[] w1 = random(3 * SIDE * SIDE * hidden, rnd, 1.0 / Math.sqrt(3 * SIDE * SIDE));
    float[] w2 = random(hidden * CLASSES, rnd, 1.0 / Math.sqrt(hidden));
    Files.write(dir.resolve("model.onnx"), model(hidden, depth, w1, w2, CLASSES, false));
    writeLabels(dir.resolve("labels.txt"), "class_", CLASSES);
    Files.writeString(dir.resolve("manifest.json"), manifest(name).encodePrettily());
    return dir;
  }

  /**
   * A package whose inference fails at run time for some inputs only, as a real model can (an
   * index computed from the data): {@code logits = Gather(table[1×10], Cast<int64>(mean(x)))}.
   * The mean of a sample is in [-1, 1] (mean 0.5, std 0.5); Cast truncates, so every sample
   * gives index 0 or -1 (valid) except an image whose every channel value is 255 (mean exactly
   * 1.0, index 1): ONNX Runtime's Gather refuses it ("indices element out of data bounds"), and
   * so the whole batch run that holds it.
   */
  public static Path writeWhiteFailsPackage(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Proto graph = new Proto();
    graph.message(1, node("Flatten", List.of("pixel_values"), "flat"));
    graph.message(1, node("ReduceMean", List.of("flat"), "mean")
        .message(5, new Proto().string(1, "axes").varint(8, 1).varint(20, 7))
        .message(5, new Proto().string(1, "keepdims").varint(3, 0).varint(20, 2)));
    graph.message(1, node("Cast", List.of("mean"), "index")
        .message(5, new Proto().string(1, "to").varint(3, 7).varint(20, 2))); // INT64
    graph.message(1, node("Gather", List.of("table", "index"), "logits"));
    graph.string(2, "white_fails");
    float[] table = new float[CLASSES];
    for (int i = 0; i < CLASSES; i++) {
      table[i] = i;
    }
    graph.message(5, tensor("table", new long[] {1, CLASSES}, table));
    return writeGraphPackage(dir, name, graph);
  }

  /** A package around {@code graph} (its nodes and initializers): standard input, output, labels, manifest. */
  private static Path writeGraphPackage(Path dir, String name, Proto graph) throws IOException {
    graph.message(11, valueInfo("pixel_values", new Object[] {"batch", 3L, (long) SIDE, (long) SIDE}));
    graph.message(12, valueInfo("logits", new Object[] {"batch", (long) CLASSES}));
    Proto model = new Proto();
    model.varint(1, 8);
    model.string(2, "loraflow-tests");
    model.message(7, graph);
    model.message(8, new Proto().varint(2, 17));
    Files.write(dir.resolve("model.onnx"), model.bytes());
    writeLabels(dir.resolve("labels.txt"), "class_", CLASSES);
    Files.writeString(dir.resolve("manifest.json"), manifest(name).encodePrettily());
    return dir;
  }

  /**
   * A broken package whose model answers any batch with one row (a constant): the service must
   * fail the events that get no row, not wait for them.
   */
  public static Path writeOneRowPackage(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Proto graph = new Proto();
    graph.message(1, node("Identity", List.of("table"), "logits"));
    graph.string(2, "one_row");
    float[] table = new float[CLASSES];
    table[3] = 5f;
    graph.message(5, tensor("table", new long[] {1, CLASSES}, table));
    return writeGraphPackage(dir, name, graph);
  }

  /**
   * A multi-task package: {@code model.onnx} (the default task, merged), {@code
   * model_lora_base.onnx} whose head {@code w2} is an overridable initializer, and task {@code
   * other} ({@code classes} labels {@code other_i}) as an adapter replacing the head. Also writes
   * {@code mergedOther}, a plain package of task {@code other} merged, to compare against.
   */
  public static Path writeMultiTaskPackage(Path dir, Path mergedOther, int hidden, int classes)
      throws IOException {
    Files.createDirectories(dir.resolve("adapters"));
    Random rnd = new Random(42);
    float[] w1 = random(3 * SIDE * SIDE * hidden, rnd, 1.0 / Math.sqrt(3 * SIDE * SIDE));
    float[] w2 = random(hidden * CLASSES, rnd, 1.0 / Math.sqrt(hidden));
    float[] w2Other = random(hidden * classes, new Random(7), 1.0 / Math.sqrt(hidden));
    Files.write(dir.resolve("model.onnx"), model(hidden, 0, w1, w2, CLASSES, false));
    Files.write(dir.resolve("model_lora_base.onnx"), model(hidden, 0, w1, w2, CLASSES, true));
    writeLabels(dir.resolve("labels.txt"), "class_", CLASSES);
    writeAdapter(dir.resolve("adapters/other.onnx_adapter"), hidden, classes, w2Other);
    writeLabels(dir.resolve("adapters/other.labels.txt"), "other_", classes);
    JsonObject manifest = manifest("multi").put("lora_base_model", "model_lora_base.onnx")
        .put("default_task", "default")
        .put("tasks", new JsonObject().put("other", new JsonObject()
            .put("adapter", "adapters/other.onnx_adapter").put("labels", "adapters/other.labels.txt")));
    Files.writeString(dir.resolve("manifest.json"), manifest.encodePrettily());

    Files.createDirectories(mergedOther);
    Files.write(mergedOther.resolve("model.onnx"), model(hidden, 0, w1, w2Other, classes, false));
    writeLabels(mergedOther.resolve("labels.txt"), "other_", classes);
    Files.writeString(mergedOther.resolve("manifest.json"), manifest("other-merged").encodePrettily());
    return dir;
  }

  /** An adapter file replacing the head {@code w2} with a {@code [hidden, classes]} one. */
  public static void writeAdapter(Path file, int hidden, int classes, float[] w2) throws IOException {
    ByteBuffer raw = ByteBuffer.allocate(w2.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : w2) {
      raw.putFloat(f);
    }
    Files.write(file, AdapterFiles.write(List.of(
        new AdapterFiles.Parameter("w2", new long[] {hidden, classes}, 1, raw.array()))));
  }

  /** Random head weights, for adapters made by tests. */
  public static float[] randomHead(int hidden, int classes, long seed) {
    return random(hidden * classes, new Random(seed), 1.0 / Math.sqrt(hidden));
  }

  public static void writeLabels(Path file, String prefix, int n) throws IOException {
    Files.writeString(file, IntStream.range(0, n).mapToObj(i -> prefix + i)
        .collect(Collectors.joining("\n")) + "\n");
  }

  private static JsonObject manifest(String name) {
    return new JsonObject()
        .put("name", name).put("version", "test")
        .put("model", "model.onnx").put("labels", "labels.txt")
        .put("input", new JsonObject().put("name", "pixel_values").put("layout", "NCHW")
            .put("dtype", "float32").put("shape", new JsonArray(List.of(-1, 3, SIDE, SIDE))))
        .put("output", new JsonObject().put("name", "logits").put("kind", "logits"))
        .put("preprocess", new JsonObject().put("resize", SIDE).put("resize_mode", "shorter_side")
            .put("interpolation", "bilinear").put("crop", new JsonArray(List.of(SIDE, SIDE)))
            .put("mean", new JsonArray(List.of(0.5, 0.5, 0.5)))
            .put("std", new JsonArray(List.of(0.5, 0.5, 0.5)))
            .put("channel_order", "RGB"));
  }

  /** {@code overridableHead}: w2 is also a graph input (with a symbolic class dimension). */
  static byte[] model(int hidden, int depth, float[] w1, float[] w2, int classes, boolean overridableHead) {
    int in = 3 * SIDE * SIDE;
    Proto graph = new Proto();
    graph.message(1, node("Flatten", List.of("pixel_values"), "flat"));
    graph.message(1, node("MatMul", List.of("flat", "w1"), "h0"));
    for (int i = 0; i < depth; i++) {
      graph.message(1, node("MatMul", List.of("h" + i, "eye"), "h" + (i + 1)));
    }
    graph.message(1, node("MatMul", List.of("h" + depth, "w2"), "logits"));
    graph.string(2, "matmul_classifier");
    graph.message(5, tensor("w1", new long[] {in, hidden}, w1));
    if (depth > 0) {
      float[] eye = new float[hidden * hidden];
      for (int i = 0; i < hidden; i++) {
        eye[i * hidden + i] = 1f;
      }
      graph.message(5, tensor("eye", new long[] {hidden, hidden}, eye));
    }
    graph.message(5, tensor("w2", new long[] {hidden, classes}, w2));
    graph.message(11, valueInfo("pixel_values", new Object[] {"batch", 3L, (long) SIDE, (long) SIDE}));
    if (overridableHead) {
      graph.message(11, valueInfo("w2", new Object[] {(long) hidden, "num_classes"}));
      graph.message(12, valueInfo("logits", new Object[] {"batch", "num_classes"}));
    } else {
      graph.message(12, valueInfo("logits", new Object[] {"batch", (long) classes}));
    }

    Proto model = new Proto();
    model.varint(1, 8); // ir_version
    model.string(2, "loraflow-tests");
    model.message(7, graph);
    model.message(8, new Proto().varint(2, 17)); // opset_import { version: 17 }
    return model.bytes();
  }

  private static float[] random(int n, Random rnd, double scale) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (rnd.nextGaussian() * scale);
    }
    return w;
  }

  private static Proto node(String op, List<String> inputs, String output) {
    Proto n = new Proto();
    inputs.forEach(i -> n.string(1, i));
    n.string(2, output);
    n.string(3, output + "_" + op);
    n.string(4, op);
    return n;
  }

  private static Proto tensor(String name, long[] dims, float[] data) {
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    t.varint(2, 1); // FLOAT
    t.string(8, name);
    ByteBuffer raw = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      raw.putFloat(f);
    }
    t.bytes(9, raw.array());
    return t;
  }

  private static Proto valueInfo(String name, Object[] dims) {
    Proto shape = new Proto();
    for (Object d : dims) {
      Proto dim = new Proto();
      if (d instanceof String param) {
        dim.string(2, param);
      } else {
        dim.varint(1, (Long) d);
      }
      shape.message(1, dim);
    }
    Proto tensorType = new Proto().varint(1, 1).message(2, shape);
    return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
  }

  /** The few protobuf wire-format writers ONNX needs. */
  static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      tag(field, 0);
      writeVarint(value);
      return this;
    }

    Proto string(int field, String s) {
      return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Proto bytes(int field, byte[] b) {
      tag(field, 2);
      writeVarint(b.length);
      out.writeBytes(b);
      return this;
    }

    Proto message(int field, Proto m) {
      return bytes(field, m.bytes());
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    private void tag(int field, int wireType) {
      writeVarint(((long) field << 3) | wireType);
    }

    private void writeVarint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }
  }
}
