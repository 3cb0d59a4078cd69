package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The Java decoder of the common PNG gives libspng's pixels exactly, on every PNG the project
 * ships and on ImageIO-written grey, RGB and RGBA images (ImageIO filters rows adaptively, so all
 * five filter types occur), and leaves everything irregular to libspng.
 */
class SimplePngTest {
  @Test
  void everyShippedAndWrittenSimplePngMatchesLibspng() throws Exception {
    assumeTrue(NativePng.available(), "libspng is not installed");
    List<byte[]> pngs = new ArrayList<>();
    for (Path root : List.of(Path.of("models"), Path.of("src/test/resources"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path p : files.filter(f -> f.toString().endsWith(".png")).toList()) {
          pngs.add(Files.readAllBytes(p));
        }
      }
    }
    Random random = new Random(42);
    int[][] sizes = {{1, 1}, {7, 3}, {64, 48}, {33, 17}};
    for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_3BYTE_BGR,
        BufferedImage.TYPE_4BYTE_ABGR}) {
      for (int[] size : sizes) {
        for (boolean noise : new boolean[] {true, false}) {
          BufferedImage img = new BufferedImage(size[0], size[1], type);
          for (int y = 0; y < size[1]; y++) {
            for (int x = 0; x < size[0]; x++) {
              int argb = noise ? random.nextInt() : (x * 7 + y * 3) << 16 | (x * 13) << 8 | y * 5 | (x + y) << 24;
              img.setRGB(x, y, argb);
            }
          }
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          ImageIO.write(img, "png", out);
          pngs.add(out.toByteArray());
        }
      }
    }
    int simple = 0;
    for (byte[] png : pngs) {
      DecodedImage java = SimplePng.decode(png, Long.MAX_VALUE);
      if (java == null) {
        continue; // not the simple case: libspng decodes it, as before
      }
      simple++;
      DecodedImage spng = NativePng.decode(png, Long.MAX_VALUE);
      assertEquals(spng.width(), java.width());
      assertEquals(spng.height(), java.height());
      assertEquals(spng.channels(), java.channels());
      assertArrayEquals(spng.pixels(), java.pixels());
    }
    assertEquals(true, simple >= 24 + 300, "the written images and the samples take the Java path: " + simple);
  }

  @Test
  void anythingIrregularIsLeftToLibspng() throws Exception {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
    img.setRGB(3, 3, 0x123456);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    byte[] good = out.toByteArray();
    assertNotNull(SimplePng.decode(good, Long.MAX_VALUE));

    byte[] badCrc = good.clone();
    badCrc[8 + 8 + 13] ^= 1; // IHDR's CRC
    assertNull(SimplePng.decode(badCrc, Long.MAX_VALUE));
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 20);
    assertNull(SimplePng.decode(truncated, Long.MAX_VALUE));
    byte[] palette = pngOf(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED));
    assertNull(SimplePng.decode(palette, Long.MAX_VALUE), "palette images go to libspng");
    byte[] oneBit = pngOf(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_BINARY));
    assertNull(SimplePng.decode(oneBit, Long.MAX_VALUE), "1-bit images go to libspng");
  }

  @Test
  void tooManyPixelsIsRefusedBeforeInflating() throws Exception {
    byte[] png = pngOf(new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR));
    io.loraflow.error.StageException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.loraflow.error.StageException.class, () -> SimplePng.decode(png, 1_000));
    assertEquals(io.loraflow.error.Reason.TOO_LARGE, e.reason());
  }

  private static byte[] pngOf(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
