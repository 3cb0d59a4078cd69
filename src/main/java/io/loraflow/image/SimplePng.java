package io.loraflow.image;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The common small PNG in Java: 8-bit grey, RGB or RGBA, not interlaced, no tRNS, every chunk's
 * CRC right, at most {@link #MAX_PIXELS} pixels. libspng sets zlib up anew for every image, which
 * is most of a small image's decode: 16–20 µs for a 28×28 sample against 11–12 µs here, with an
 * {@link Inflater} kept per thread (both measured in a loop). Anything else, or anything
 * irregular (a bad CRC, a short or long image stream, an unknown filter), answers {@code null}
 * and {@link NativePng} decodes it, errors included, as before. PNG is lossless, so the pixels
 * are the ones libspng and PIL give ({@code SimplePngTest} compares them with libspng's).
 *
 * <p>Thread: any, concurrently (one inflater per thread).
 */
final class SimplePng {
  private static final long SIGNATURE = 0x89504E470D0A1A0AL;
  private static final int IHDR = 0x49484452;
  private static final int IDAT = 0x49444154;
  private static final int IEND = 0x49454E44;
  private static final int TRNS = 0x74524E53;
  private static final int PLTE = 0x504C5445;
  private static final ThreadLocal<Inflater> INFLATER = ThreadLocal.withInitial(Inflater::new);
  /**
   * Larger images go to libspng: there zlib's set-up is lost in the work, libspng's unfiltering is
   * faster, and this path would hold the filtered and the unfiltered image at once.
   */
  static final long MAX_PIXELS = 1 << 20;

  private SimplePng() {}

  /**
   * The image, or null when it is not the simple case (then NativePng decodes it).
   *
   * @throws StageException {@code TOO_LARGE} over {@code maxPixels}, as NativePng does
   */
  static DecodedImage decode(byte[] png, long maxPixels) {
    if (png.length < 8 + 25 || readLong(png, 0) != SIGNATURE) {
      return null;
    }
    int width = 0;
    int height = 0;
    int channels = 0;
    byte[] idat = null;
    int idatLength = 0;
    CRC32 crc = new CRC32();
    int at = 8;
    boolean ended = false;
    while (at + 12 <= png.length) {
      int length = readInt(png, at);
      int type = readInt(png, at + 4);
      if (length < 0 || at + 12L + length > png.length) {
        return null;
      }
      crc.reset();
      crc.update(png, at + 4, length + 4);
      if ((int) crc.getValue() != readInt(png, at + 8 + length)) {
        return null;
      }
      int data = at + 8;
      if (at == 8) {
        if (type != IHDR || length != 13) {
          return null;
        }
        width = readInt(png, data);
        height = readInt(png, data + 4);
        int depth = png[data + 8];
        int colour = png[data + 9];
        boolean plain = png[data + 10] == 0 && png[data + 11] == 0 && png[data + 12] == 0;
        channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 6 ? 4 : 0;
        if (depth != 8 || channels == 0 || !plain || width <= 0 || height <= 0) {
          return null;
        }
        if ((long) width * height > maxPixels) {
          throw new StageException(Reason.TOO_LARGE, width + "x" + height
              + " is over the " + maxPixels + " pixel limit");
        }
        if ((long) width * height > MAX_PIXELS) {
          return null;
        }
      } else if (type == IDAT) {
        if (idat == null) {
          idat = new byte[Math.max(length, png.length - at)];
        }
        System.arraycopy(png, data, idat, idatLength, length);
        idatLength += length;
      } else if (type == TRNS) {
        return null;
      } else if (type == IEND) {
        ended = true;
        break;
      } else if ((type & 0x20000000) == 0 && type != PLTE) {
        return null; // a critical chunk this does not know
      }
      at += 12 + length;
    }
    if (!ended || idat == null || channels == 0) {
      return null;
    }
    int stride = width * channels;
    byte[] raw = new byte[height * (1 + stride)];
    Inflater inflater = INFLATER.get();
    inflater.reset();
    inflater.setInput(idat, 0, idatLength);
    try {
      int n = 0;
      while (n < raw.length) {
        int got = inflater.inflate(raw, n, raw.length - n);
        if (got == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        n += got;
      }
      if (n == raw.length && !inflater.finished() && inflater.inflate(new byte[1]) > 0) {
        return null; // more image data than the header allows
      }
      if (n != raw.length || !inflater.finished()) {
        return null; // short, or no proper end of the stream
      }
    } catch (DataFormatException e) {
      return null;
    }
    byte[] pixels = unfilter(raw, height, stride, channels);
    if (pixels == null) {
      return null;
    }
    if (channels == 1) {
      byte[] rgb = new byte[pixels.length * 3];
      for (int i = 0, o = 0; i < pixels.length; i++, o += 3) {
        byte g = pixels[i];
        rgb[o] = g;
        rgb[o + 1] = g;
        rgb[o + 2] = g;
      }
      return new DecodedImage(width, height, 3, rgb);
    }
    return new DecodedImage(width, height, channels, pixels);
  }

  /** Reverses the rows' filters (PNG 9.2); null for an unknown filter type. */
  private static byte[] unfilter(byte[] raw, int height, int stride, int bpp) {
    byte[] out = new byte[height * stride];
    for (int y = 0; y < height; y++) {
      int in = y * (1 + stride) + 1;
      int row = y * stride;
      int prev = row - stride; // the row above, in out; none for y == 0
      switch (raw[in - 1]) {
        case 0 -> System.arraycopy(raw, in, out, row, stride);
        case 1 -> {
          for (int x = 0; x < stride; x++) {
            int left = x >= bpp ? out[row + x - bpp] : 0;
            out[row + x] = (byte) (raw[in + x] + left);
          }
        }
        case 2 -> {
          for (int x = 0; x < stride; x++) {
            int up = y > 0 ? out[prev + x] : 0;
            out[row + x] = (byte) (raw[in + x] + up);
          }
        }
        case 3 -> {
          for (int x = 0; x < stride; x++) {
            int left = x >= bpp ? out[row + x - bpp] & 0xff : 0;
            int up = y > 0 ? out[prev + x] & 0xff : 0;
            out[row + x] = (byte) (raw[in + x] + ((left + up) >>> 1));
          }
        }
        case 4 -> {
          for (int x = 0; x < stride; x++) {
            int a = x >= bpp ? out[row + x - bpp] & 0xff : 0;
            int b = y > 0 ? out[prev + x] & 0xff : 0;
            int c = x >= bpp && y > 0 ? out[prev + x - bpp] & 0xff : 0;
            int p = a + b - c;
            int pa = Math.abs(p - a);
            int pb = Math.abs(p - b);
            int pc = Math.abs(p - c);
            int predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            out[row + x] = (byte) (raw[in + x] + predictor);
          }
        }
        default -> {
          return null;
        }
      }
    }
    return out;
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  private static long readLong(byte[] b, int at) {
    return (long) readInt(b, at) << 32 | (readInt(b, at + 4) & 0xffffffffL);
  }
}
