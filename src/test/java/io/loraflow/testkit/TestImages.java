package io.loraflow.testkit;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/** Writes real PNG and JPEG files with varied content for tests that need many distinct images. */
public final class TestImages {
  private TestImages() {
  }

  public static List<Path> write(Path dir, int count) throws IOException {
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    Random rnd = new Random(7);
    for (int i = 0; i < count; i++) {
      int w = 20 + rnd.nextInt(80);
      int h = 20 + rnd.nextInt(80);
      BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setColor(new Color(rnd.nextInt(0xFFFFFF)));
      g.fillRect(0, 0, w, h);
      for (int k = 0; k < 6; k++) {
        g.setColor(new Color(rnd.nextInt(0xFFFFFF)));
        g.fillOval(rnd.nextInt(w), rnd.nextInt(h), 5 + rnd.nextInt(w), 5 + rnd.nextInt(h));
      }
      g.dispose();
      String format = i % 3 == 2 ? "jpg" : "png";
      Path file = dir.resolve(String.format("img-%03d.%s", i, format));
      ImageIO.write(img, format.equals("jpg") ? "jpeg" : "png", file.toFile());
      out.add(file);
    }
    return out;
  }
}
