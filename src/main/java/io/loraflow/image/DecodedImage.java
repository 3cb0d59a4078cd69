package io.loraflow.image;

/**
 * A decoded, upright image: 8-bit samples, interleaved, row-major, no padding. {@code channels}
 * is 3 (RGB) or 4 (RGBA, alpha not premultiplied). Grey sources are already expanded to RGB and
 * EXIF orientation is already applied. The array is owned by this object and never copied:
 * treat it as read-only.
 */
public record DecodedImage(int width, int height, int channels, byte[] pixels) {

  public DecodedImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("empty image " + width + "x" + height);
    }
    if (channels != 3 && channels != 4) {
      throw new IllegalArgumentException("channels must be 3 or 4: " + channels);
    }
    if (pixels.length != (long) width * height * channels) {
      throw new IllegalArgumentException("pixel array does not match " + width + "x" + height
          + "x" + channels);
    }
  }

  public boolean hasAlpha() {
    return channels == 4;
  }
}
