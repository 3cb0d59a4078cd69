package io.loraflow.testkit;

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
    Files.write(dir.resolve("model.onnx"), model(hidden, depth, new Random(42)));
    Files.writeString(dir.resolve("labels.txt"),
        IntStream.range(0, CLASSES).mapToObj(i -> "class_" + i).collect(Collectors.joining("\n")) + "\n");
    JsonObject manifest = new JsonObject()
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
    Files.writeString(dir.resolve("manifest.json"), manifest.encodePrettily());
    return dir;
  }

  static byte[] model(int hidden, int depth, Random rnd) {
    int in = 3 * SIDE * SIDE;
    Proto graph = new Proto();
    graph.message(1, node("Flatten", List.of("pixel_values"), "flat"));
    graph.message(1, node("MatMul", List.of("flat", "w1"), "h0"));
    for (int i = 0; i < depth; i++) {
      graph.message(1, node("MatMul", List.of("h" + i, "eye"), "h" + (i + 1)));
    }
    graph.message(1, node("MatMul", List.of("h" + depth, "w2"), "logits"));
    graph.string(2, "matmul_classifier");
    graph.message(5, tensor("w1", new long[] {in, hidden}, random(in * hidden, rnd, 1.0 / Math.sqrt(in))));
    if (depth > 0) {
      float[] eye = new float[hidden * hidden];
      for (int i = 0; i < hidden; i++) {
        eye[i * hidden + i] = 1f;
      }
      graph.message(5, tensor("eye", new long[] {hidden, hidden}, eye));
    }
    graph.message(5, tensor("w2", new long[] {hidden, CLASSES}, random(hidden * CLASSES, rnd, 1.0 / Math.sqrt(hidden))));
    graph.message(11, valueInfo("pixel_values", new Object[] {"batch", 3L, (long) SIDE, (long) SIDE}));
    graph.message(12, valueInfo("logits", new Object[] {"batch", (long) CLASSES}));

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
