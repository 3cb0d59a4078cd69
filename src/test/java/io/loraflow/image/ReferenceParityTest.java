package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every committed test image, decoded and preprocessed in Java, against the PIL reference from
 * {@code tools/model/image_reference.py}: mean abs error <= 1/255 and max <= 8/255 in [0, 1]
 * units (mean 0, std 1 so the tensor is ToTensor's output).
 *
 * <p>Without libwebp (see {@link ImageDecoder#backends}), lossy WebP goes through TwelveMonkeys'
 * pure-Java VP8 decoder, which upsamples chroma without libwebp's "fancy" filter; it is then
 * held to a looser bound ({@link #LOSSY_WEBP_MEAN}, {@link #LOSSY_WEBP_MAX}).
 */
class ReferenceParityTest {
  static final Path IMAGES = Path.of("src/test/resources/images");
  static final double MAX_MEAN = 1.0 / 255;
  static final double MAX_ABS = 8.0 / 255;
  static final double LOSSY_WEBP_MEAN = 3.0 / 255;
  static final double LOSSY_WEBP_MAX = 32.0 / 255;

  @TestFactory
  Stream<DynamicTest> matchesPilReference() throws IOException {
    JsonObject index = new JsonObject(Files.readString(IMAGES.resolve("reference/index.json")));
    ImageDecoder decoder = new ImageDecoder(50_000_000L);
    System.out.println("decoders: " + ImageDecoder.backends());
    List<DynamicTest> tests = new ArrayList<>();
    for (Object o : index.getJsonArray("images")) {
      JsonObject entry = (JsonObject) o;
      for (String spec : entry.getJsonObject("refs").fieldNames()) {
        String name = entry.getString("file") + " " + spec;
        tests.add(DynamicTest.dynamicTest(name, () -> check(decoder, index, entry, spec)));
      }
    }
    return tests.stream();
  }

  private static void check(ImageDecoder decoder, JsonObject index, JsonObject entry, String spec)
      throws IOException {
    DecodedImage img = decoder.decode(Files.readAllBytes(IMAGES.resolve(entry.getString("file"))));
    assertEquals(entry.getInteger("width"), img.width(), "width");
    assertEquals(entry.getInteger("height"), img.height(), "height");
    Preprocessor pre = new Preprocessor(
        PreprocessSpec.fromJson(index.getJsonObject("specs").getJsonObject(spec)));
    int n = pre.valuesPerImage();
    FloatBuffer tensor = ByteBuffer.allocateDirect((n + 7) * 4).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    pre.writeTo(img, tensor, 7);
    byte[] ref = readGzip(IMAGES.resolve("reference").resolve(
        entry.getJsonObject("refs").getString(spec)));
    assertEquals(n, ref.length, "tensor size");
    double sum = 0;
    double max = 0;
    for (int i = 0; i < n; i++) {
      double d = Math.abs(tensor.get(7 + i) - (ref[i] & 0xff) / 255.0);
      sum += d;
      max = Math.max(max, d);
    }
    double mean = sum / n;
    System.out.printf("parity %-34s %-14s mean %.3f/255 max %.0f/255%n", entry.getString("file"),
        spec, mean * 255, max * 255);
    boolean lossyWebp = entry.getString("file").contains("lossy.webp")
        && !ImageDecoder.backends().contains("libwebp");
    double meanBound = lossyWebp ? LOSSY_WEBP_MEAN : MAX_MEAN;
    double maxBound = lossyWebp ? LOSSY_WEBP_MAX : MAX_ABS;
    assertTrue(mean <= meanBound, () -> "mean abs error " + mean * 255 + "/255");
    double worst = max;
    assertTrue(worst <= maxBound + 1e-6, () -> "max abs error " + worst * 255 + "/255");
  }

  static byte[] readGzip(Path path) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(path))) {
      return in.readAllBytes();
    }
  }
}
