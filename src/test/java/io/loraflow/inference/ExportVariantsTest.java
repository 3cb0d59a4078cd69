package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model's graph variants (tools/model/variants.py, committed under
 * src/test/resources/models) against the float32 package they were made from: the same 300
 * sample images, decoded and preprocessed by the service's own code, in batches of 32.
 *
 * <p>uint8 input with normalisation in the graph computes what the service's float
 * preprocessing computes, so its logits agree to float rounding (stated: 1e-5) and top-1 is
 * identical. fp16 rounds weights and activations to 11 significant bits: top-1 must agree on at
 * least 99 % of the images and logits within 0.05 (measured on ORT CPU: see
 * docs/model-toolchain.md, "Graph variants").
 */
class ExportVariantsTest {
  private static final Path BASE = Path.of("models/fashion-mnist");
  private static final Path VARIANTS = Path.of("src/test/resources/models");
  private static final int BATCH = 32;
  /** deploy/gpu-check.sh sets auto, to measure the agreement on the GPU. */
  private static final String DEVICE = System.getProperty("loraflow.variants.device", "cpu");
  private static final double UINT8_MAX_DELTA = 1e-5;
  private static final double FP16_MAX_DELTA = 0.05;
  private static final double FP16_MIN_TOP1_AGREEMENT = 0.99;

  private static List<byte[]> images;
  private static float[][] reference;

  @BeforeAll
  static void runTheFloat32Package() throws Exception {
    images = new ArrayList<>();
    try (Stream<Path> s = Files.list(BASE.resolve("samples"))) {
      for (Path p : s.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
        images.add(Files.readAllBytes(p));
      }
    }
    assertEquals(300, images.size(), "the bundled samples");
    reference = logits(BASE);
  }

  @Test
  void uint8InputGivesTheFloat32Logits() throws Exception {
    Comparison c = compare("fashion-mnist-uint8-fp32", InputType.UINT8);
    assertEquals(images.size(), c.sameTop1, "top-1 of every image");
    assertTrue(c.maxDelta <= UINT8_MAX_DELTA, "max |Δlogit| " + c.maxDelta);
  }

  @Test
  void fp16AgreesWithFp32() throws Exception {
    Comparison c = compare("fashion-mnist-float32-fp16", InputType.FLOAT32);
    assertTrue(c.agreement() >= FP16_MIN_TOP1_AGREEMENT, "top-1 agreement " + c.agreement());
    assertTrue(c.maxDelta <= FP16_MAX_DELTA, "max |Δlogit| " + c.maxDelta);
  }

  @Test
  void uint8InputWithFp16AgreesWithFp32() throws Exception {
    Comparison c = compare("fashion-mnist-uint8-fp16", InputType.UINT8);
    assertTrue(c.agreement() >= FP16_MIN_TOP1_AGREEMENT, "top-1 agreement " + c.agreement());
    assertTrue(c.maxDelta <= FP16_MAX_DELTA, "max |Δlogit| " + c.maxDelta);
  }

  private record Comparison(int sameTop1, double maxDelta) {
    double agreement() {
      return (double) sameTop1 / images.size();
    }
  }

  private static Comparison compare(String variant, InputType expectedInput) throws Exception {
    Path dir = VARIANTS.resolve(variant);
    assertEquals(expectedInput, ModelPackage.load(dir).inputType(), "manifest input.dtype");
    float[][] actual = logits(dir);
    int same = 0;
    double maxDelta = 0;
    for (int i = 0; i < images.size(); i++) {
      int k = reference[i].length;
      same += ModelParityTest.argmax(actual[i], 0, k) == ModelParityTest.argmax(reference[i], 0, k) ? 1 : 0;
      for (int c = 0; c < k; c++) {
        maxDelta = Math.max(maxDelta, Math.abs(actual[i][c] - reference[i][c]));
      }
    }
    // The measured numbers, for docs/model-toolchain.md.
    System.out.printf("%s vs float32 (%s): top-1 agreement %d/%d, max |Δlogit| %.3g%n", variant, DEVICE, same,
        images.size(), maxDelta);
    return new Comparison(same, maxDelta);
  }

  /** The package's logits for every image, through the service's decoder and preprocessing. */
  private static float[][] logits(Path dir) throws Exception {
    ModelPackage model = ModelPackage.load(dir);
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    ImageDecoder decoder = new ImageDecoder(1_000_000);
    float[][] out = new float[images.size()][];
    try (InferenceSession session = InferenceSession.open(model, DEVICE, 1)) {
      Buffer batch = session.allocate(BATCH);
      for (int from = 0; from < images.size(); from += BATCH) {
        int n = Math.min(BATCH, images.size() - from);
        for (int i = 0; i < n; i++) {
          pre.writeTo(decoder.decode(images.get(from + i)), batch, i * model.sampleValues());
        }
        float[][] rows = session.run(batch, n);
        System.arraycopy(rows, 0, out, from, n);
      }
    }
    return out;
  }
}
