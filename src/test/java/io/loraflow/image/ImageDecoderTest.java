package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(40_000_000L);

  private static byte[] image(String name) throws IOException {
    return Files.readAllBytes(Path.of("src/test/resources/images", name));
  }

  private Reason failure(byte[] bytes) {
    return assertThrows(StageException.class, () -> decoder.decode(bytes)).reason();
  }

  @Test
  void testTruncatedJpegIsDecodeFailed() throws IOException {
    assertEquals(Reason.DECODE_FAILED, failure(image("truncated.jpg")));
  }

  @Test
  void testTextNamedJpgIsUnsupportedFormat() throws IOException {
    assertEquals(Reason.UNSUPPORTED_FORMAT, failure(image("not_an_image.jpg")));
  }

  @Test
  void testPngDeclaring50000SquaredIsTooLargeWithoutAllocating() throws IOException {
    byte[] bomb = image("bomb_50000x50000.png");
    long before = usedHeap();
    assertEquals(Reason.TOO_LARGE, failure(bomb));
    assertTrue(usedHeap() - before < 256L * 1024 * 1024, "allocated the bomb's pixels");
  }

  @Test
  void testCorruptPngIsDecodeFailed() throws IOException {
    assertEquals(Reason.DECODE_FAILED, failure(image("corrupt.png")));
  }

  @Test
  void testHeaderOnlyAndGarbageAreDecodeFailed() throws IOException {
    byte[] png = image("rgb.png");
    assertEquals(Reason.DECODE_FAILED, failure(Arrays.copyOf(png, 40)));
    byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3, 4, 5, 6, 7};
    assertEquals(Reason.DECODE_FAILED, failure(jpeg));
    assertEquals(Reason.UNSUPPORTED_FORMAT, failure(new byte[0]));
  }

  @Test
  void testPixelLimitAppliesToRealImages() throws IOException {
    ImageDecoder small = new ImageDecoder(640 * 427 - 1);
    StageException e = assertThrows(StageException.class,
        () -> small.decode(image("flower_640x427.jpg")));
    assertEquals(Reason.TOO_LARGE, e.reason());
  }

  @Test
  void testAlphaAndGreyLayouts() throws IOException {
    DecodedImage rgba = decoder.decode(image("rgba.png"));
    assertEquals(4, rgba.channels());
    DecodedImage grey = decoder.decode(image("grey.jpg"));
    assertEquals(3, grey.channels());
    byte[] p = grey.pixels();
    assertEquals(p[300], p[301]);
    assertEquals(p[301], p[302]);
  }

  @Test
  void testExifOrientationSixIsRotated() throws IOException {
    DecodedImage img = decoder.decode(image("exif_orientation_6.jpg"));
    assertEquals(160, img.width());
    assertEquals(100, img.height());
  }

  @Test
  void testConcurrentDecodesMatchSequentialOnes() throws Exception {
    String[] names = {"flower_640x427.jpg", "cmyk.jpg", "rgba.png", "palette_trns.png",
        "two_frames.gif", "rgb24.bmp", "lossy.webp", "exif_orientation_6.jpg"};
    byte[][] expected = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      expected[i] = decoder.decode(image(names[i])).pixels();
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < names.length; i++) {
          byte[] bytes = image(names[i]);
          byte[] want = expected[i];
          results.add(pool.submit(() -> Arrays.equals(want, decoder.decode(bytes).pixels())));
        }
      }
      for (Future<Boolean> r : results) {
        assertTrue(r.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdown();
    }
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
