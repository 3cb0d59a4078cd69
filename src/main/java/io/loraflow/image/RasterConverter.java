package io.loraflow.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns a decoded raster into {@link DecodedImage} bytes the way PIL's {@code convert} does:
 * grey expands to R = G = B, 16-bit samples keep their high byte, 1/2/4-bit samples scale to
 * 0–255, palettes map through their table, CMYK converts naively (no ICC:
 * {@code (255-c)(255-k)/255}, with Adobe-inverted samples read as such), colour profiles are
 * ignored (PIL ignores them too).
 *
 * <p>Byte and ushort interleaved rasters are read straight from their {@code DataBuffer}; other
 * layouts a row at a time. Never per-pixel {@code getRGB}. Stateless, any thread.
 */
final class RasterConverter {
  private RasterConverter() {}

  static DecodedImage convert(BufferedImage image) {
    ColorModel cm = image.getColorModel();
    if (cm.isAlphaPremultiplied()) {
      image.coerceData(false);
    }
    Raster raster = image.getRaster();
    if (cm instanceof IndexColorModel icm) {
      return fromPalette(raster, icm);
    }
    return convert(raster, cm.getNumColorComponents(), cm.hasAlpha(), false);
  }

  /** Reads a raw CMYK raster; {@code inverted} when an Adobe segment says 255 means no ink. */
  static DecodedImage fromCmyk(Raster raster, boolean inverted) {
    return convert(raster, 4, false, inverted);
  }

  /** {@code colours} is 1 (grey), 3 (RGB) or 4 (CMYK); alpha, when present, is the last band. */
  private static DecodedImage convert(Raster raster, int colours, boolean alpha,
      boolean inverted) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    int bands = colours + (alpha ? 1 : 0);
    if (raster.getNumBands() != bands || (colours != 1 && colours != 3 && colours != 4)) {
      throw new IllegalArgumentException("unsupported layout: " + raster.getNumBands()
          + " bands for " + colours + " colours");
    }
    int outC = alpha ? 4 : 3;
    byte[] out = new byte[w * h * outC];
    int[] row = new int[w * bands];
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      readRow(raster, y, row);
      for (int x = 0, i = 0, o = y * w * outC; x < w; x++, o += outC) {
        for (int b = 0; b < bands; b++) {
          px[b] = row[i++];
        }
        if (inverted) {
          for (int b = 0; b < 4; b++) {
            px[b] = 255 - px[b];
          }
        }
        writePixel(px, colours, alpha, out, o);
      }
    }
    return new DecodedImage(w, h, outC, out);
  }

  /** One row of 8-bit samples, band-interleaved. */
  private static void readRow(Raster raster, int y, int[] row) {
    DataBuffer db = raster.getDataBuffer();
    int w = raster.getWidth();
    int bands = raster.getNumBands();
    if (raster.getSampleModel() instanceof ComponentSampleModel sm
        && (db instanceof DataBufferByte || db instanceof DataBufferUShort)) {
      int[] offsets = sm.getBandOffsets();
      int[] banks = sm.getBankIndices();
      int stride = sm.getPixelStride();
      int base = (raster.getMinY() + y - raster.getSampleModelTranslateY())
          * sm.getScanlineStride()
          + (raster.getMinX() - raster.getSampleModelTranslateX()) * stride;
      boolean wide = db instanceof DataBufferUShort;
      for (int b = 0; b < bands; b++) {
        int pos = base + offsets[b] + db.getOffsets()[banks[b]];
        if (wide) {
          short[] data = ((DataBufferUShort) db).getData(banks[b]);
          for (int x = 0, i = b; x < w; x++, i += bands, pos += stride) {
            row[i] = (data[pos] & 0xffff) >> 8;
          }
        } else {
          byte[] data = ((DataBufferByte) db).getData(banks[b]);
          for (int x = 0, i = b; x < w; x++, i += bands, pos += stride) {
            row[i] = data[pos] & 0xff;
          }
        }
      }
      return;
    }
    raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
    int[] sizes = raster.getSampleModel().getSampleSize();
    for (int b = 0; b < bands; b++) {
      int bits = sizes[b];
      if (bits == 8) {
        continue;
      }
      int max = (1 << bits) - 1;
      for (int i = b; i < row.length; i += bands) {
        row[i] = bits > 8 ? row[i] >> (bits - 8) : (row[i] * 255 + max / 2) / max;
      }
    }
  }

  private static void writePixel(int[] px, int colours, boolean alpha, byte[] out, int o) {
    if (colours == 1) {
      out[o] = out[o + 1] = out[o + 2] = (byte) px[0];
    } else if (colours == 3) {
      out[o] = (byte) px[0];
      out[o + 1] = (byte) px[1];
      out[o + 2] = (byte) px[2];
    } else {
      int nk = 255 - px[3];
      out[o] = (byte) (nk - mulDiv255(px[0], nk));
      out[o + 1] = (byte) (nk - mulDiv255(px[1], nk));
      out[o + 2] = (byte) (nk - mulDiv255(px[2], nk));
    }
    if (alpha) {
      out[o + 3] = (byte) px[colours];
    }
  }

  /** PIL's MULDIV255: a * b / 255, rounded, in integers. */
  private static int mulDiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  }

  private static DecodedImage fromPalette(Raster raster, IndexColorModel icm) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    int size = icm.getMapSize();
    byte[] r = new byte[size];
    byte[] g = new byte[size];
    byte[] b = new byte[size];
    byte[] a = new byte[size];
    icm.getReds(r);
    icm.getGreens(g);
    icm.getBlues(b);
    icm.getAlphas(a);
    boolean alpha = icm.getTransparency() != ColorModel.OPAQUE;
    int c = alpha ? 4 : 3;
    byte[] out = new byte[w * h * c];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
      for (int x = 0, o = y * w * c; x < w; x++, o += c) {
        int i = Math.min(row[x], size - 1);
        out[o] = r[i];
        out[o + 1] = g[i];
        out[o + 2] = b[i];
        if (alpha) {
          out[o + 3] = a[i];
        }
      }
    }
    return new DecodedImage(w, h, c, out);
  }
}
