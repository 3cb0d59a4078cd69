package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
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

  @Test
  void testLowBitGreyKeyMatchesOnlyWhenZeroAsInPil() {
    assumeTrue(NativePng.available(), "libspng is not in use");
    byte[] row = {0, 0b00011011}; // filter 0, then 2-bit samples 0 1 2 3
    DecodedImage keyOne = NativePng.decode(grey2WithKey(row, 1), MAX_PIXELS);
    assertArrayEquals(new byte[] {0, 0, 0, 85, 85, 85, (byte) 170, (byte) 170, (byte) 170,
        (byte) 255, (byte) 255, (byte) 255}, keyOne.pixels());
    DecodedImage keyZero = NativePng.decode(grey2WithKey(row, 0), MAX_PIXELS);
    assertEquals(4, keyZero.channels());
    assertEquals(0, keyZero.pixels()[3]);
    assertEquals((byte) 255, keyZero.pixels()[7]);
  }

  /** A 4×1 2-bit grey PNG with a tRNS key. */
  private static byte[] grey2WithKey(byte[] row, int key) {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(4).putInt(1).put((byte) 2).array());
    chunk(png, "tRNS", ByteBuffer.allocate(2).putShort((short) key).array());
    Deflater deflater = new Deflater();
    deflater.setInput(row);
    deflater.finish();
    byte[] idat = new byte[64];
    chunk(png, "IDAT", Arrays.copyOf(idat, deflater.deflate(idat)));
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    png.writeBytes(name);
    png.writeBytes(data);
    png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
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
