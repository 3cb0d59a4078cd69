package io.loraflow.image;

import java.nio.charset.StandardCharsets;

/** The image formats the service decodes, recognised by their leading bytes (never by name). */
public enum ImageFormat {
  JPEG("jpeg"), PNG("png"), GIF("gif"), BMP("bmp"), WEBP("webp");

  /** Bytes {@link #sniff} needs to see to recognise every format. */
  public static final int SNIFF_BYTES = 18;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private final String imageIoName;

  ImageFormat(String imageIoName) {
    this.imageIoName = imageIoName;
  }

  /** The format name ImageIO registers readers under. */
  public String imageIoName() {
    return imageIoName;
  }

  /** The format whose signature {@code head} starts with, or {@code null} when none does. */
  public static ImageFormat sniff(byte[] head) {
    if (head.length >= 3 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xd8
        && (head[2] & 0xff) == 0xff) {
      return JPEG;
    }
    if (startsWith(head, PNG_SIGNATURE)) {
      return PNG;
    }
    if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) {
      return GIF;
    }
    if (head.length >= 12 && startsWith(head, ascii("RIFF"))
        && new String(head, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) {
      return WEBP;
    }
    if (head.length >= 18 && head[0] == 'B' && head[1] == 'M' && isBmpInfoSize(head)) {
      return BMP;
    }
    return null;
  }

  /** BITMAPCOREHEADER, INFOHEADER (and the V2–V5 variants) sizes, little-endian at offset 14. */
  private static boolean isBmpInfoSize(byte[] h) {
    int size = (h[14] & 0xff) | (h[15] & 0xff) << 8 | (h[16] & 0xff) << 16 | (h[17] & 0xff) << 24;
    return size == 12 || size == 40 || size == 52 || size == 56 || size == 64 || size == 108
        || size == 124;
  }

  private static boolean startsWith(byte[] data, byte[] prefix) {
    if (data.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (data[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
