package io.loraflow.evaluate;

import io.loraflow.config.ClosestName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The images to evaluate with their true labels, from an ImageFolder (one subfolder per label,
 * as torchvision's) or a CSV of {@code path,label} lines. Every label must be one of the task's:
 * a folder or label the model does not know is an error naming it, not a silent zero.
 */
public final class LabelledImages {
  /** One image and the index of its true label in the task's labels. */
  public record Labelled(Path file, int label) {
  }

  private LabelledImages() {
  }

  /** {@code source} is a folder (ImageFolder layout) or a {@code .csv} file. */
  public static List<Labelled> read(Path source, List<String> labels) {
    if (Files.isDirectory(source)) {
      return fromFolder(source, labels);
    }
    if (Files.isRegularFile(source) && source.toString().endsWith(".csv")) {
      return fromCsv(source, labels);
    }
    throw new IllegalArgumentException("--images " + source + " is neither a folder (one subfolder per label) "
        + "nor a .csv file of path,label lines");
  }

  /**
   * {@code root/LABEL/*}: every regular file of a label's folder (not recursing) is one image. A
   * label with a {@code /} (Fashion-MNIST's {@code T-shirt/top}) is written {@code _} in a folder name.
   */
  static List<Labelled> fromFolder(Path root, List<String> labels) {
    List<Labelled> out = new ArrayList<>();
    for (Path folder : list(root).filter(Files::isDirectory).toList()) {
      int label = labelIndex(folder.getFileName().toString(), labels, "label folder '" + folder + "'");
      list(folder).filter(Files::isRegularFile).forEach(f -> out.add(new Labelled(f, label)));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--images " + root + " has no images: expected one subfolder per label "
          + "(" + String.join(", ", labels) + ") with image files in it");
    }
    return out;
  }

  /**
   * {@code path,label} per line, paths relative to the CSV's folder; the label is after the last
   * comma (so a path may hold commas, a label may not). A first line {@code file,label} or
   * {@code path,label} is a header.
   */
  static List<Labelled> fromCsv(Path csv, List<String> labels) {
    List<String> lines;
    try {
      lines = Files.readAllLines(csv);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --images " + csv + ": " + e.getMessage(), e);
    }
    List<Labelled> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || (i == 0 && line.matches("(?i)(file|path),label"))) {
        continue;
      }
      int comma = line.lastIndexOf(',');
      if (comma <= 0) {
        throw new IllegalArgumentException(csv + " line " + (i + 1) + ": expected path,label, not '" + line + "'");
      }
      int label = labelIndex(line.substring(comma + 1).strip(), labels, csv + " line " + (i + 1));
      out.add(new Labelled(csv.toAbsolutePath().getParent().resolve(line.substring(0, comma).strip()), label));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--images " + csv + " lists no images (expected path,label lines)");
    }
    return out;
  }

  private static int labelIndex(String name, List<String> labels, String where) {
    for (int i = 0; i < labels.size(); i++) {
      if (labels.get(i).equals(name) || labels.get(i).replace('/', '_').equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException(where + ": unknown label '" + name + "'"
        + ClosestName.didYouMeanIfClose(name, labels).replaceFirst("\\.$", "")
        + "; the task's labels are " + String.join(", ", labels));
  }

  private static Stream<Path> list(Path folder) {
    try (Stream<Path> s = Files.list(folder)) {
      return s.sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
