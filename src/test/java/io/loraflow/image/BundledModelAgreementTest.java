package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.vertx.core.json.JsonObject;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * For every committed test image, the bundled model's top-1 label on the Java tensor equals its
 * top-1 on the PIL/torch reference tensor (spec px28, the bundled model's preprocessing).
 */
class BundledModelAgreementTest {
  static final Path IMAGES = Path.of("src/test/resources/images");

  @Test
  void topOneLabelAgreesOnEveryTestImage() throws Exception {
    ModelPackage model = ModelPackage.load(Path.of("models/fashion-mnist"));
    PreprocessSpec spec = PreprocessSpec.fromJson(model.preprocess());
    Preprocessor pre = new Preprocessor(spec);
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    JsonObject index = new JsonObject(Files.readString(IMAGES.resolve("reference/index.json")));
    int plane = model.height() * model.width();
    int checked = 0;
    try (InferenceSession session = InferenceSession.open(model, "cpu", 1)) {
      for (Object o : index.getJsonArray("images")) {
        JsonObject entry = (JsonObject) o;
        String ref = entry.getJsonObject("refs").getString("px28");
        if (ref == null) {
          continue;
        }
        Buffer java = session.allocate(1);
        pre.writeTo(decoder.decode(Files.readAllBytes(IMAGES.resolve(entry.getString("file")))), java, 0);
        byte[] u8 = ReferenceParityTest.readGzip(IMAGES.resolve("reference").resolve(ref));
        FloatBuffer reference = (FloatBuffer) session.allocate(1);
        for (int i = 0; i < u8.length; i++) {
          int c = i / plane;
          reference.put(i, ((u8[i] & 0xff) / 255f - spec.mean()[c]) / spec.std()[c]);
        }
        assertEquals(argmax(session.run(reference, 1)[0]), argmax(session.run(java, 1)[0]),
            "top-1 of " + entry.getString("file"));
        checked++;
      }
    }
    assertEquals(index.getJsonArray("images").size(), checked, "every committed image has a px28 reference");
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
