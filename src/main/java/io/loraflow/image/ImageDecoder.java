package io.loraflow.image;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.io.IOException;

/**
 * Decodes JPEG (baseline, progressive, grey, CMYK/YCCK), PNG (1–16 bit, palette, grey, alpha),
 * GIF (first frame), BMP and WebP into an upright {@link DecodedImage}.
 *
 * <p>The format comes from the bytes' signature ({@code UNSUPPORTED_FORMAT} otherwise). The
 * header's width × height is checked against {@code maxPixels} before any pixel buffer is
 * allocated ({@code TOO_LARGE}, the decompression-bomb guard). Truncated or corrupt data is
 * {@code DECODE_FAILED}. No other exception escapes. JPEG, PNG and still WebP go through
 * libjpeg-turbo, libspng and libwebp when they load ({@link NativeJpeg}, {@link NativePng},
 * {@link NativeWebp}: fast, and PIL's pixels), everything else through {@link ImageIoDecoder};
 * the system property {@value #NATIVE_PROPERTY}{@code =false} forces ImageIO throughout. EXIF
 * orientation is applied to JPEGs.
 *
 * <p>Thread: blocking and CPU-bound, call from a worker thread; safe for concurrent use.
 */
public final class ImageDecoder {
  /** System property: {@code false} forces ImageIO for every format (tests, diagnosis). */
  public static final String NATIVE_PROPERTY = "loraflow.image.native";

  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be > 0: " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /**
   * Which decoders are in use, for the startup log: e.g. "jpeg=libjpeg-turbo png=libspng
   * webp=libwebp".
   */
  public static String backends() {
    return "jpeg=" + (NativeJpeg.available() ? "libjpeg-turbo" : "imageio")
        + " png=" + (NativePng.available() ? "libspng" : "imageio")
        + " webp=" + (NativeWebp.available() ? "libwebp" : "imageio");
  }

  public DecodedImage decode(byte[] bytes) {
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == null) {
      throw new StageException(Reason.UNSUPPORTED_FORMAT, "not a JPEG, PNG, GIF, BMP or WebP");
    }
    try {
      // A small, plain PNG decodes in Java; null for any other image.
      DecodedImage image = format == ImageFormat.PNG ? SimplePng.decode(bytes, maxPixels) : null;
      if (image != null) {
        return image;
      }
      if (format == ImageFormat.JPEG && NativeJpeg.available()) {
        image = NativeJpeg.decode(bytes, maxPixels);
      } else if (format == ImageFormat.PNG && NativePng.available()) {
        image = NativePng.decode(bytes, maxPixels);
      } else if (format == ImageFormat.WEBP && NativeWebp.available() && !isAnimated(bytes)) {
        image = NativeWebp.decode(bytes, maxPixels);
      } else {
        image = ImageIoDecoder.decode(bytes, format, maxPixels);
      }
      return format == ImageFormat.JPEG
          ? ExifOrientation.apply(image, ExifOrientation.read(bytes)) : image;
    } catch (StageException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new StageException(Reason.DECODE_FAILED, format + " does not decode: " + e, false, e);
    } catch (OutOfMemoryError e) {
      throw new StageException(Reason.TOO_LARGE, "out of memory decoding " + format, false, null);
    }
  }

  /** An extended WebP ("VP8X") with the animation flag; libwebp's simple API refuses those. */
  private static boolean isAnimated(byte[] webp) {
    return webp.length > 20 && webp[12] == 'V' && webp[13] == 'P' && webp[14] == '8'
        && webp[15] == 'X' && (webp[20] & 0x02) != 0;
  }
}
