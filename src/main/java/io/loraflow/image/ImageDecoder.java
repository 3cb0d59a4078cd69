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
 * {@code DECODE_FAILED}. No other exception escapes. Every format goes through
 * {@link ImageIoDecoder}; EXIF orientation is applied to JPEGs.
 *
 * <p>Thread: blocking and CPU-bound, call from a worker thread; safe for concurrent use.
 */
public final class ImageDecoder {
  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be > 0: " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /** Which decoders are in use, for the startup log: e.g. "jpeg=libjpeg-turbo webp=libwebp". */
  public static String backends() {
    return "jpeg=imageio webp=imageio";
  }

  public DecodedImage decode(byte[] bytes) {
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == null) {
      throw new StageException(Reason.UNSUPPORTED_FORMAT, "not a JPEG, PNG, GIF, BMP or WebP");
    }
    try {
      DecodedImage image = ImageIoDecoder.decode(bytes, format, maxPixels);
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
}
