package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime Java against PyTorch: every model package with a {@code parity/} folder (the
 * bundled ones, the uint8-input and fp16 variants of the bundled model under
 * {@code src/test/resources/models}, plus {@code LORAFLOW_PARITY_MODEL_DIR} for a large export
 * such as ViT-B/16) must reproduce the exporter's logits within the tolerance its
 * {@code meta.json} states (1e-4 for fp32) and the same top-1 on its reference inputs.
 */
class ModelParityTest {

  static Stream<Path> packages() throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (Path models : List.of(Path.of("models"), Path.of("src/test/resources/models"))) {
      if (Files.isDirectory(models)) {
        try (Stream<Path> s = Files.list(models)) {
          s.filter(d -> Files.isRegularFile(d.resolve("parity/meta.json"))).sorted().forEach(dirs::add);
        }
      }
    }
    String extra = System.getenv("LORAFLOW_PARITY_MODEL_DIR");
    if (extra != null && !extra.isBlank()) {
      dirs.add(Path.of(extra));
    }
    return dirs.stream();
  }

  @ParameterizedTest
  @MethodSource("packages")
  void onnxRuntimeMatchesPyTorchLogits(Path dir) throws Exception {
    JsonObject meta = new JsonObject(Files.readString(dir.resolve("parity/meta.json")));
    ModelPackage model = ModelPackage.load(dir);
    int n = meta.getInteger("count");
    int k = meta.getInteger("num_classes");
    float[] expected = floats(dir.resolve("parity/logits.f32"));
    assertEquals((long) n * k, expected.length, "logits.f32 size");
    double tolerance = meta.getJsonObject("tolerance", new JsonObject()).getDouble("abs", 1e-4);
    try (InferenceSession session = InferenceSession.open(model, "cpu", 0)) {
      Buffer batch = session.allocate(n);
      if (batch instanceof FloatBuffer floats) {
        float[] inputs = floats(dir.resolve("parity/inputs.f32"));
        assertEquals((long) n * model.sampleValues(), inputs.length, "inputs.f32 size");
        floats.put(0, inputs);
      } else {
        byte[] inputs = Files.readAllBytes(dir.resolve("parity/inputs.u8"));
        assertEquals((long) n * model.sampleValues(), inputs.length, "inputs.u8 size");
        ((ByteBuffer) batch).put(0, inputs);
      }
      float[][] actual = session.run(batch, n);
      double maxDelta = 0;
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < k; c++) {
          maxDelta = Math.max(maxDelta, Math.abs(actual[i][c] - expected[i * k + c]));
        }
        assertEquals(argmax(expected, i * k, k), argmax(actual[i], 0, k), "top-1 of reference input " + i);
      }
      assertTrue(maxDelta <= tolerance, dir + ": max |Δlogit| " + maxDelta + " > " + tolerance);
    }
  }

  /** The service's own decode + preprocess of the reference images gives the exporter's inputs. */
  @ParameterizedTest
  @MethodSource("packages")
  void javaPreprocessingMatchesTheExportersInputs(Path dir) throws Exception {
    JsonObject meta = new JsonObject(Files.readString(dir.resolve("parity/meta.json")));
    if (meta.getJsonArray("sources") == null) {
      return; // synthetic inputs (e.g. a random-init export): nothing to decode
    }
    ModelPackage model = ModelPackage.load(dir);
    PreprocessSpec spec = PreprocessSpec.fromJson(model.preprocess());
    Preprocessor pre = new Preprocessor(spec);
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    int sample = model.sampleValues();
    int plane = model.height() * model.width();
    boolean u8 = model.inputType() == InputType.UINT8;
    float[] floatInputs = u8 ? null : floats(dir.resolve("parity/inputs.f32"));
    byte[] byteInputs = u8 ? Files.readAllBytes(dir.resolve("parity/inputs.u8")) : null;
    ByteBuffer bytes = ByteBuffer.allocateDirect(sample * model.inputType().bytes()).order(ByteOrder.nativeOrder());
    Buffer buf = u8 ? bytes : bytes.asFloatBuffer();
    for (int i = 0; i < meta.getJsonArray("sources").size(); i++) {
      DecodedImage img = decoder.decode(Files.readAllBytes(dir.resolve(meta.getJsonArray("sources").getString(i))));
      pre.writeTo(img, buf, 0);
      for (int j = 0; j < sample; j++) {
        // Compare in [0,1] pixel units: undo this channel's std.
        double delta = u8 ? Math.abs((bytes.get(j) & 0xff) - (byteInputs[i * sample + j] & 0xff)) / 255.0
            : Math.abs(((FloatBuffer) buf).get(j) - floatInputs[i * sample + j]) * spec.std()[j / plane];
        assertTrue(delta <= 1.0 / 255 + 1e-6, "image " + i + " value " + j + " differs by " + delta * 255 + "/255");
      }
    }
  }

  static int argmax(float[] v, int from, int len) {
    int best = 0;
    for (int i = 1; i < len; i++) {
      if (v[from + i] > v[from + best]) {
        best = i;
      }
    }
    return best;
  }

  static float[] floats(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }
}
