package io.loraflow.image;

import java.nio.charset.StandardCharsets;

/** Finds application segments in a JPEG's header (before the first scan); stateless. */
final class JpegSegments {
  private JpegSegments() {}

  /**
   * The offset of the payload after {@code magic} of the first segment with {@code marker}
   * (e.g. 0xE1 "Exif", 0xEE "Adobe"), or -1 when there is none before the scan data.
   */
  static int find(byte[] jpeg, int marker, String magic) {
    byte[] m = magic.getBytes(StandardCharsets.ISO_8859_1);
    int pos = 2;
    while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xff) == 0xff) {
      int type = jpeg[pos + 1] & 0xff;
      if (type == 0xff) {
        pos++;
        continue;
      }
      int length = (jpeg[pos + 2] & 0xff) << 8 | (jpeg[pos + 3] & 0xff);
      if (type == 0xda || type == 0xd9 || length < 2 || pos + 2 + length > jpeg.length) {
        return -1;
      }
      if (type == marker && length >= 2 + m.length && startsWith(jpeg, pos + 4, m)) {
        return pos + 4 + m.length;
      }
      pos += 2 + length;
    }
    return -1;
  }

  /** Segment end for a payload offset returned by {@link #find}: start of the next marker. */
  static int end(byte[] jpeg, int payload, String magic) {
    int start = payload - magic.length() - 4;
    return start + 2 + ((jpeg[start + 2] & 0xff) << 8 | (jpeg[start + 3] & 0xff));
  }

  private static boolean startsWith(byte[] data, int at, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (data[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
