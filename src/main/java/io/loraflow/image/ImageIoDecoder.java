package io.loraflow.image;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.awt.color.ColorSpace;
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
 * Decoding through ImageIO (JDK readers plus TwelveMonkeys JPEG/WebP): every GIF and BMP, and
 * JPEG/PNG/WebP when the native libraries are missing. The header's size is checked before the
 * pixels are read. CMYK/YCCK JPEGs are read as raw rasters and converted as PIL does, not
 * through their ICC profile. Returns the image before EXIF orientation.
 *
 * <p>Thread: any, concurrently; each call uses its own reader.
 */
final class ImageIoDecoder {
  static {
    ImageIO.setUseCache(false);
  }

  private ImageIoDecoder() {}

  static DecodedImage decode(byte[] bytes, ImageFormat format, long maxPixels)
      throws IOException {
    ImageReader reader = readerFor(format);
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
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
      return image;
    } finally {
      reader.dispose();
    }
  }

  private static ImageReader readerFor(ImageFormat format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
    if (!readers.hasNext()) {
      throw new StageException(Reason.UNSUPPORTED_FORMAT, "no decoder for " + format);
    }
    return readers.next();
  }

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
