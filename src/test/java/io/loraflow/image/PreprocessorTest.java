package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class PreprocessorTest {
  private static final String MANIFEST = "{\"resize\": 28, \"resize_mode\": \"shorter_side\","
      + " \"interpolation\": \"bilinear\", \"crop\": [28, 28], \"mean\": [0.5, 0.25, 0.125],"
      + " \"std\": [0.5, 0.5, 0.25], \"channel_order\": \"BGR\", \"background\": [0, 0, 255]}";

  private static FloatBuffer tensor(int floats) {
    return ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private static DecodedImage solid(int w, int h, int r, int g, int b, int a) {
    byte[] px = new byte[w * h * 4];
    for (int i = 0; i < px.length; i += 4) {
      px[i] = (byte) r;
      px[i + 1] = (byte) g;
      px[i + 2] = (byte) b;
      px[i + 3] = (byte) a;
    }
    return new DecodedImage(w, h, 4, px);
  }

  @Test
  void testParsesManifestSection() {
    PreprocessSpec spec = PreprocessSpec.fromJson(new JsonObject(MANIFEST));
    assertEquals(PreprocessSpec.ResizeMode.SHORTER_SIDE, spec.resizeMode());
    assertEquals(28, spec.cropHeight());
    assertTrue(spec.bgr());
    assertEquals(3 * 28 * 28, new Preprocessor(spec).valuesPerImage());
  }

  @Test
  void testInvalidFieldsAreNamed() {
    for (String[] bad : new String[][] {
        {"{\"resize\": 0, \"crop\": 1}", "resize"},
        {"{\"resize\": 8}", "crop"},
        {"{\"resize\": [8, 9], \"resize_mode\": \"shorter_side\", \"crop\": 8}", "resize"},
        {"{\"resize\": 8, \"crop\": 8, \"interpolation\": \"lanczos\"}", "interpolation"},
        {"{\"resize\": 8, \"crop\": 8, \"std\": [1, 0, 1]}", "std"},
        {"{\"resize\": 8, \"crop\": 8, \"mean\": [1, 1]}", "mean"},
        {"{\"resize\": 8, \"crop\": 8, \"channel_order\": \"RBG\"}", "channel_order"},
        {"{\"resize\": 8, \"crop\": 8, \"background\": [0, 0, 256]}", "background"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PreprocessSpec.fromJson(new JsonObject(bad[0])), bad[0]);
      assertTrue(e.getMessage().contains("preprocess." + bad[1]), e.getMessage());
    }
  }

  @Test
  void testNormalisesCompositesAndSwapsChannels() {
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(new JsonObject(MANIFEST)));
    FloatBuffer out = tensor(pre.valuesPerImage() + 10);
    pre.writeTo(solid(40, 30, 255, 0, 0, 0), out, 10);
    // Fully transparent: the background (0, 0, 255); BGR puts blue first.
    assertEquals((1f - 0.125f) / 0.25f, out.get(10), 1e-6);
    assertEquals((0f - 0.25f) / 0.5f, out.get(10 + 28 * 28), 1e-6);
    assertEquals((0f - 0.5f) / 0.5f, out.get(10 + 2 * 28 * 28 + 5), 1e-6);
    assertEquals(0, out.position());
  }

  @Test
  void testCenterCropOffsetsRoundHalfToEven() {
    assertEquals(80, Preprocessor.cropStart(383, 224));
    assertEquals(16, Preprocessor.cropStart(256, 224));
    assertEquals(2, Preprocessor.cropStart(9, 4));
    assertEquals(-2, Preprocessor.cropStart(20, 24));
  }

  @Test
  void testRejectsSlotOutsideTheBuffer() {
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(new JsonObject(MANIFEST)));
    assertThrows(IndexOutOfBoundsException.class,
        () -> pre.writeTo(solid(4, 4, 0, 0, 0, 255), tensor(100), 0));
  }
}
