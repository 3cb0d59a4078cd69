package io.loraflow.image;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PNG decoding through libspng (Debian {@code libspng0}) via JNA, with the pixels PIL gives:
 * 16-bit samples keep their high byte, 1/2/4-bit grey scales by bit replication (1 → 255),
 * grey expands to RGB, palettes map through their table, tRNS becomes alpha; gAMA, sBIT and
 * colour profiles are ignored (PIL ignores them too). Critical-chunk CRC errors fail, ancillary
 * ones are skipped (spng's defaults). {@link #available} is false when the library cannot be
 * loaded or the JVM is not 64-bit; {@link ImageDecoder} then uses ImageIO.
 *
 * <p>Bound by JNA direct mapping ({@link Spng}'s static natives), not an interface proxy: the
 * proxy's reflection costs about 0.4 µs a call, 2 µs over a decode's seven calls, a sixth of a
 * 28×28 PNG's whole decode (~12 µs).
 *
 * <p>Thread: any, concurrently; each call has its own spng context.
 */
final class NativePng {
  private static final int SPNG_ECHUNKAVAIL = 73;
  private static final int SPNG_FMT_RGBA8 = 1;
  private static final int SPNG_FMT_RGB8 = 4;
  private static final int SPNG_FMT_G8 = 64;
  private static final int SPNG_DECODE_TRNS = 1;
  private static final int COLOR_GREY = 0;
  private static final int COLOR_GREY_ALPHA = 4;
  private static final int COLOR_RGBA = 6;
  /** sizeof(struct spng_ihdr) and sizeof(struct spng_trns) in spng 0.7. */
  private static final int IHDR_SIZE = 16;
  private static final int TRNS_SIZE = 268;
  /**
   * Native memory for ancillary chunks (text and ICC inflate there), per chunk and in all; spng
   * has no limit by default. 64 MiB is PIL's MAX_TEXT_MEMORY.
   */
  private static final long CHUNK_LIMIT = 64L << 20;
  // size_t is mapped to long, so only 64-bit JVMs.
  private static final boolean LOADED = Native.SIZE_T_SIZE == 8
      && NativeLibs.register(Spng.class, "spng", "libspng.so.0");

  private NativePng() {}

  /** The subset of spng.h (libspng 0.7) used here; size_t is a Java long. */
  private static final class Spng {
    static native Pointer spng_ctx_new(int flags);

    static native void spng_ctx_free(Pointer ctx);

    static native int spng_set_png_buffer(Pointer ctx, Pointer buf, long size);

    static native int spng_set_chunk_limits(Pointer ctx, long chunkSize, long cacheSize);

    static native int spng_get_ihdr(Pointer ctx, byte[] ihdr);

    static native int spng_get_trns(Pointer ctx, byte[] trns);

    static native int spng_decode_image(Pointer ctx, byte[] out, long len, int fmt, int flags);

    static native String spng_strerror(int err);
  }

  static boolean available() {
    return LOADED;
  }

  /**
   * Decodes a PNG after checking its pixel count: RGBA when it has an alpha channel or tRNS,
   * RGB otherwise.
   *
   * @throws StageException {@code TOO_LARGE}, or {@code DECODE_FAILED} for corrupt or truncated
   *     data
   */
  static DecodedImage decode(byte[] png, long maxPixels) {
    Pointer ctx = Spng.spng_ctx_new(0);
    if (ctx == null) {
      throw new IllegalStateException("spng_ctx_new failed");
    }
    // spng reads the buffer during the calls below, not in set_png_buffer: it must stay put.
    Memory in = new Memory(png.length);
    try {
      in.write(0, png, 0, png.length);
      check(Spng.spng_set_chunk_limits(ctx, CHUNK_LIMIT, CHUNK_LIMIT));
      check(Spng.spng_set_png_buffer(ctx, in, png.length));
      byte[] ihdr = new byte[IHDR_SIZE];
      check(Spng.spng_get_ihdr(ctx, ihdr));
      ByteBuffer header = ByteBuffer.wrap(ihdr).order(ByteOrder.nativeOrder());
      int width = header.getInt(0); // spng refuses sizes over 2^31 - 1
      int height = header.getInt(4);
      if ((long) width * height > maxPixels) {
        throw new StageException(Reason.TOO_LARGE, width + "x" + height
            + " is over the " + maxPixels + " pixel limit");
      }
      int colourType = ihdr[9];
      boolean alpha = colourType == COLOR_GREY_ALPHA || colourType == COLOR_RGBA
          || hasTrns(ctx, colourType == COLOR_GREY && ihdr[8] < 8);
      if (alpha) {
        return new DecodedImage(width, height, 4,
            decode(ctx, (long) width * height * 4, SPNG_FMT_RGBA8, SPNG_DECODE_TRNS));
      }
      // spng's grey-to-RGB8 path goes pixel by pixel: G8 and expanding here is a third faster.
      if (colourType == COLOR_GREY && ihdr[8] <= 8) {
        byte[] grey = decode(ctx, (long) width * height, SPNG_FMT_G8, 0);
        return new DecodedImage(width, height, 3, greyToRgb(grey));
      }
      return new DecodedImage(width, height, 3,
          decode(ctx, (long) width * height * 3, SPNG_FMT_RGB8, 0));
    } finally {
      Spng.spng_ctx_free(ctx);
      in.close();
    }
  }

  private static byte[] decode(Pointer ctx, long size, int fmt, int flags) {
    byte[] out = new byte[Math.toIntExact(size)];
    check(Spng.spng_decode_image(ctx, out, out.length, fmt, flags));
    return out;
  }

  private static byte[] greyToRgb(byte[] grey) {
    byte[] rgb = new byte[grey.length * 3];
    for (int i = 0, o = 0; i < grey.length; i++, o += 3) {
      rgb[o] = rgb[o + 1] = rgb[o + 2] = grey[i];
    }
    return rgb;
  }

  /**
   * Whether a tRNS chunk applies. PIL compares a 1/2/4-bit grey key with the samples already
   * scaled to 0–255, so only a key of 0 ever matches there; the others are ignored here too.
   * Reads the chunks before the image data: a broken one fails here.
   */
  private static boolean hasTrns(Pointer ctx, boolean lowBitGrey) {
    byte[] trns = new byte[TRNS_SIZE];
    int err = Spng.spng_get_trns(ctx, trns);
    if (err != SPNG_ECHUNKAVAIL) {
      check(err);
    }
    // spng_trns starts with the uint16_t grey key; either byte order reads 0 the same.
    return err == 0 && !(lowBitGrey && (trns[0] != 0 || trns[1] != 0));
  }

  private static void check(int err) {
    if (err != 0) {
      throw new StageException(Reason.DECODE_FAILED, "PNG does not decode: "
          + Spng.spng_strerror(err));
    }
  }
}
