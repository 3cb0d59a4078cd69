package io.loraflow.metrics;

import io.loraflow.image.DecodedImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/** A small PNG data: URI of a decoded image, for the dashboard (nearest-neighbour, no alpha). */
public final class Thumbnail {
  private Thumbnail() {
  }

  public static String dataUri(DecodedImage img, int maxSide) {
    double scale = Math.min(1.0, (double) maxSide / Math.max(img.width(), img.height()));
    int w = Math.max(1, (int) Math.round(img.width() * scale));
    int h = Math.max(1, (int) Math.round(img.height() * scale));
    // Small sources are enlarged so that 28 px images stay visible.
    if (Math.max(w, h) < maxSide / 2) {
      int k = maxSide / Math.max(w, h);
      w *= k;
      h *= k;
    }
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int c = img.channels();
    byte[] px = img.pixels();
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      int sy = Math.min(img.height() - 1, (int) ((long) y * img.height() / h));
      for (int x = 0; x < w; x++) {
        int sx = Math.min(img.width() - 1, (int) ((long) x * img.width() / w));
        int o = (sy * img.width() + sx) * c;
        row[x] = (px[o] & 0xff) << 16 | (px[o + 1] & 0xff) << 8 | (px[o + 2] & 0xff);
      }
      out.setRGB(0, y, w, 1, row, 0, w);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(out, "png", bytes);
    } catch (IOException e) {
      return null;
    }
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}
