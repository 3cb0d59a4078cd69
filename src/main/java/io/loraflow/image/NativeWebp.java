package io.loraflow.image;

import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;

/**
 * WebP decoding through libwebp (Debian {@code libwebp7}) via JNA: the decoder PIL uses, with
 * its "fancy" chroma upsampling, which TwelveMonkeys' pure-Java VP8 decoder lacks (up to 29/255
 * apart on lossy files). {@link #available} is false when the library cannot be loaded;
 * {@link ImageDecoder} then uses ImageIO.
 *
 * <p>Thread: any, concurrently (the calls used are stateless).
 */
final class NativeWebp {
  private static final Lib LIB = NativeLibs.load(Lib.class, "webp", "libwebp.so.7");

  private NativeWebp() {}

  /** The subset of libwebp's decode.h used here. */
  interface Lib extends Library {
    int WebPGetInfo(byte[] data, NativeLong size, IntByReference width, IntByReference height);

    Pointer WebPDecodeRGBA(byte[] data, NativeLong size, IntByReference width,
        IntByReference height);

    void WebPFree(Pointer ptr);
  }

  static boolean available() {
    return LIB != null;
  }

  /**
   * Decodes a still WebP (the first frame of an animation is not supported by this call) after
   * checking its pixel count; an image whose alpha is all opaque comes back as RGB.
   *
   * @throws StageException {@code TOO_LARGE} or {@code DECODE_FAILED}
   */
  static DecodedImage decode(byte[] webp, long maxPixels) {
    NativeLong size = new NativeLong(webp.length);
    IntByReference w = new IntByReference();
    IntByReference h = new IntByReference();
    if (LIB.WebPGetInfo(webp, size, w, h) == 0) {
      throw new StageException(Reason.DECODE_FAILED, "WebP header does not parse");
    }
    if ((long) w.getValue() * h.getValue() > maxPixels) {
      throw new StageException(Reason.TOO_LARGE, w.getValue() + "x" + h.getValue()
          + " is over the " + maxPixels + " pixel limit");
    }
    Pointer rgba = LIB.WebPDecodeRGBA(webp, size, w, h);
    if (rgba == null) {
      throw new StageException(Reason.DECODE_FAILED, "WebP does not decode");
    }
    try {
      int pixels = w.getValue() * h.getValue();
      byte[] out = rgba.getByteArray(0, pixels * 4);
      return isOpaque(out) ? dropAlpha(w.getValue(), h.getValue(), out)
          : new DecodedImage(w.getValue(), h.getValue(), 4, out);
    } finally {
      LIB.WebPFree(rgba);
    }
  }

  private static boolean isOpaque(byte[] rgba) {
    for (int i = 3; i < rgba.length; i += 4) {
      if (rgba[i] != (byte) 0xff) {
        return false;
      }
    }
    return true;
  }

  private static DecodedImage dropAlpha(int w, int h, byte[] rgba) {
    byte[] rgb = new byte[w * h * 3];
    for (int i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
      rgb[o] = rgba[i];
      rgb[o + 1] = rgba[i + 1];
      rgb[o + 2] = rgba[i + 2];
    }
    return new DecodedImage(w, h, 3, rgb);
  }
}
