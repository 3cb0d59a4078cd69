package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** libspng against ImageIO: used when installed, and the same pixels on every test PNG. */
class NativePngTest {
  private static final long MAX_PIXELS = 40_000_000L;
  private static final List<String> INVALID = List.of("corrupt.png", "bomb_50000x50000.png");

  @Test
  void testLibspngIsUsedWhenInstalled() {
    assumeTrue(Boolean.parseBoolean(System.getProperty(ImageDecoder.NATIVE_PROPERTY, "true")));
    assumeTrue(installed(), "libspng0 is not installed");
    assertTrue(NativePng.available());
    assertTrue(ImageDecoder.backends().contains("png=libspng"), ImageDecoder.backends());
  }

  @TestFactory
  Stream<DynamicTest> nativeAndImageIoAgreePixelForPixel() throws IOException {
    assumeTrue(NativePng.available(), "libspng is not in use");
    try (Stream<Path> files = Files.list(ReferenceParityTest.IMAGES)) {
      return files.filter(p -> p.toString().endsWith(".png"))
          .filter(p -> !INVALID.contains(p.getFileName().toString()))
          .sorted()
          .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> agree(p)))
          .toList().stream();
    }
  }

  private static void agree(Path png) throws IOException {
    byte[] bytes = Files.readAllBytes(png);
    DecodedImage lib = NativePng.decode(bytes, MAX_PIXELS);
    DecodedImage imageIo = ImageIoDecoder.decode(bytes, ImageFormat.PNG, MAX_PIXELS);
    assertEquals(imageIo.width(), lib.width(), "width");
    assertEquals(imageIo.height(), lib.height(), "height");
    assertEquals(imageIo.channels(), lib.channels(), "channels");
    assertArrayEquals(imageIo.pixels(), lib.pixels(), "pixels");
  }

  @Test
  void testTruncatedImageDataIsDecodeFailed() throws IOException {
    assumeTrue(NativePng.available(), "libspng is not in use");
    byte[] png = Files.readAllBytes(ReferenceParityTest.IMAGES.resolve("rgb.png"));
    StageException e = assertThrows(StageException.class,
        () -> NativePng.decode(Arrays.copyOf(png, png.length / 2), MAX_PIXELS));
    assertEquals(Reason.DECODE_FAILED, e.reason());
  }

  private static boolean installed() {
    try {
      NativeLibrary.getInstance("libspng.so.0");
      return true;
    } catch (UnsatisfiedLinkError e) {
      return false;
    }
  }
}
