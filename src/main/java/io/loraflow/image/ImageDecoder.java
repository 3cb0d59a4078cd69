package io.loraflow.image;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG (baseline, progressive, grey, CMYK/YCCK via TwelveMonkeys), PNG (1–16 bit,
 * palette, grey, alpha), GIF (first frame), BMP and WebP into an upright {@link DecodedImage}.
 *
 * <p>The format comes from the bytes' signature ({@code UNSUPPORTED_FORMAT} otherwise). The
 * header's width × height is checked against {@code maxPixels} before any pixel buffer is
 * allocated ({@code TOO_LARGE}, the decompression-bomb guard). Truncated or corrupt data is
 * {@code DECODE_FAILED}, including a JPEG the decoder would only warn about ("premature end"),
 * as PIL refuses those too. No other exception escapes.
 *
 * <p>Thread: blocking and CPU-bound, call from a worker thread; safe for concurrent use (each call
 * uses its own ImageIO reader).
 */
public final class ImageDecoder {
  static {
    ImageIO.setUseCache(false);
  }

  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be > 0: " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  public DecodedImage decode(byte[] bytes) {
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == null) {
      throw new StageException(Reason.UNSUPPORTED_FORMAT, "not a JPEG, PNG, GIF, BMP or WebP");
    }
    ImageReader reader = null;
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader = readerFor(format);
      reader.setInput(in, true, true);
      TruncationListener truncation = new TruncationListener();
      reader.addIIOReadWarningListener(truncation);
      long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
      if (pixels > maxPixels) {
        throw new StageException(Reason.TOO_LARGE, reader.getWidth(0) + "x"
            + reader.getHeight(0) + " is over the " + maxPixels + " pixel limit");
      }
      DecodedImage image = isCmyk(reader)
          ? RasterConverter.fromCmyk(reader.readRaster(0, null),
              JpegSegments.find(bytes, 0xee, "Adobe") >= 0)
          : RasterConverter.convert(reader.read(0));
      truncation.check();
      return format == ImageFormat.JPEG
          ? ExifOrientation.apply(image, ExifOrientation.read(bytes)) : image;
    } catch (StageException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new StageException(Reason.DECODE_FAILED, format + " does not decode: " + e, false, e);
    } catch (OutOfMemoryError e) {
      throw new StageException(Reason.TOO_LARGE, "out of memory decoding " + format, false, null);
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  private static ImageReader readerFor(ImageFormat format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
    if (!readers.hasNext()) {
      throw new StageException(Reason.UNSUPPORTED_FORMAT, "no decoder for " + format);
    }
    return readers.next();
  }

  /** CMYK/YCCK JPEGs are read raw and converted as PIL does, not through an ICC profile. */
  private static boolean isCmyk(ImageReader reader) throws IOException {
    ImageTypeSpecifier raw = reader.getRawImageType(0);
    return raw != null && raw.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK;
  }

  /** Records the decoder's warnings that mean the data ended early. */
  private static final class TruncationListener implements IIOReadWarningListener {
    private String warning;

    @Override
    public void warningOccurred(ImageReader source, String message) {
      String m = String.valueOf(message).toLowerCase(Locale.ROOT);
      if (warning == null && (m.contains("premature end") || m.contains("truncat"))) {
        warning = message;
      }
    }

    void check() {
      if (warning != null) {
        throw new StageException(Reason.DECODE_FAILED, "truncated image: " + warning);
      }
    }
  }
}
