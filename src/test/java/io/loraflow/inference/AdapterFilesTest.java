package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtLoraAdapter;
import io.loraflow.testkit.OnnxModels;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFilesTest {
  @TempDir
  Path tmp;

  /** A safetensors file holding {@code w2} as F32, written the way the format specifies. */
  static Path safetensors(Path file, String name, long[] shape, float[] values) throws Exception {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      data.putFloat(v);
    }
    JsonObject header = new JsonObject()
        .put("__metadata__", new JsonObject().put("format", "pt"))
        .put(name, new JsonObject().put("dtype", "F32").put("shape", new JsonArray(List.of(shape[0], shape[1])))
            .put("data_offsets", new JsonArray(List.of(0, values.length * 4))));
    byte[] h = header.encode().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
    out.write(h);
    out.write(data.array());
    Files.write(file, out.toByteArray());
    return file;
  }

  @Test
  void safetensorsAdapterGivesTheSameScoresAsTheOnnxAdapter() throws Exception {
    Path pkg = OnnxModels.writeMultiTaskPackage(tmp.resolve("m"), tmp.resolve("merged"), 16, 4);
    float[] head = OnnxModels.randomHead(16, 4, 5);
    OnnxModels.writeAdapter(tmp.resolve("a.onnx_adapter"), 16, 4, head);
    Path st = safetensors(tmp.resolve("a.safetensors"), "w2", new long[] {16, 4}, head);
    assertArrayEquals(Files.readAllBytes(tmp.resolve("a.onnx_adapter")), AdapterFiles.read(st),
        "the in-memory conversion writes the same FlatBuffer");

    ModelPackage model = ModelPackage.load(pkg);
    try (InferenceSession s = InferenceSession.open(model, "cpu", 1);
        OrtLoraAdapter fromSafetensors = OrtLoraAdapter.create(AdapterFiles.read(st))) {
      FloatBuffer in = (FloatBuffer) s.allocate(2);
      for (int i = 0; i < in.capacity(); i++) {
        in.put(i, (float) Math.cos(i * 0.003));
      }
      float[][] base = s.run(in, 2, null);
      float[][] adapted = s.run(in, 2, fromSafetensors);
      assertEquals(OnnxModels.CLASSES, base[0].length, "no adapter: the base head");
      assertEquals(4, adapted[0].length, "the adapter's head has its own class count");
    }
  }

  @Test
  void badSafetensorsSayWhatIsWrong() throws Exception {
    Path bad = tmp.resolve("bad.safetensors");
    Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterFiles.read(bad));
    assertTrue(e.getMessage().contains("bad header length"), e.getMessage());
  }
}
