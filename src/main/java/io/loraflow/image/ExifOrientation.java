package io.loraflow.image;

/**
 * EXIF orientation (tag 0x0112) of a JPEG, and the transform that makes the pixels upright, as
 * PIL's {@code ImageOps.exif_transpose} does: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
 * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise. Stateless, any thread.
 */
final class ExifOrientation {
  private static final int TAG_ORIENTATION = 0x0112;

  private ExifOrientation() {}

  /** The orientation in the JPEG's Exif APP1 segment; 1 (upright) when absent or unreadable. */
  static int read(byte[] jpeg) {
    int tiff = JpegSegments.find(jpeg, 0xe1, "Exif\0\0");
    return tiff < 0 ? 1 : fromTiff(jpeg, tiff, JpegSegments.end(jpeg, tiff, "Exif\0\0"));
  }

  private static int fromTiff(byte[] b, int tiff, int end) {
    if (tiff + 8 > end) {
      return 1;
    }
    boolean little = b[tiff] == 'I';
    long ifd = tiff + (u32(b, tiff + 4, little) & 0xffffffffL);
    if (ifd + 2 > end) {
      return 1;
    }
    int count = u16(b, (int) ifd, little);
    for (int i = 0; i < count; i++) {
      int entry = (int) ifd + 2 + 12 * i;
      if (entry + 12 > end) {
        return 1;
      }
      if (u16(b, entry, little) == TAG_ORIENTATION) {
        int value = u16(b, entry + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  /** The upright image; {@code img} itself when {@code orientation} is 1 or unknown. */
  static DecodedImage apply(DecodedImage img, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return img;
    }
    int w = img.width();
    int h = img.height();
    int c = img.channels();
    boolean swap = orientation >= 5;
    int outW = swap ? h : w;
    int outH = swap ? w : h;
    byte[] src = img.pixels();
    byte[] dst = new byte[src.length];
    int o = 0;
    for (int y = 0; y < outH; y++) {
      for (int x = 0; x < outW; x++) {
        int sx = sourceX(orientation, x, y, w);
        int sy = sourceY(orientation, x, y, h);
        System.arraycopy(src, (sy * w + sx) * c, dst, o, c);
        o += c;
      }
    }
    return new DecodedImage(outW, outH, c, dst);
  }

  /** Source column of output pixel (x, y); {@code w} is the source width. */
  private static int sourceX(int orientation, int x, int y, int w) {
    switch (orientation) {
      case 2:
      case 3:
        return w - 1 - x;
      case 4:
        return x;
      case 5:
      case 6:
        return y;
      default:
        return w - 1 - y;
    }
  }

  /** Source row of output pixel (x, y); {@code h} is the source height. */
  private static int sourceY(int orientation, int x, int y, int h) {
    switch (orientation) {
      case 2:
        return y;
      case 3:
      case 4:
        return h - 1 - y;
      case 5:
      case 8:
        return x;
      default:
        return h - 1 - x;
    }
  }

  private static int u16(byte[] b, int at, boolean little) {
    if (at + 2 > b.length) {
      return 0;
    }
    int lo = little ? b[at] & 0xff : b[at + 1] & 0xff;
    int hi = little ? b[at + 1] & 0xff : b[at] & 0xff;
    return hi << 8 | lo;
  }

  private static int u32(byte[] b, int at, boolean little) {
    int first = u16(b, at, little);
    int second = u16(b, at + 2, little);
    return little ? second << 16 | first : first << 16 | second;
  }
}
