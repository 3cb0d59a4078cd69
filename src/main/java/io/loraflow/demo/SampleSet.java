package io.loraflow.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The labelled sample images of a model package: {@code samples/labels.csv} (file,label). */
record SampleSet(Path dir, List<Sample> samples) {

  record Sample(Path file, String label) {
  }

  static SampleSet load(Path modelDir) throws IOException {
    Path dir = modelDir.resolve("samples").toAbsolutePath().normalize();
    Path csv = dir.resolve("labels.csv");
    if (!Files.isRegularFile(csv)) {
      throw new IOException("No labelled samples at " + csv);
    }
    List<Sample> samples = new ArrayList<>();
    for (String line : Files.readAllLines(csv)) {
      String[] parts = line.split(",", 2);
      if (parts.length == 2 && !parts[0].equals("file")) {
        samples.add(new Sample(dir.resolve(parts[0].strip()), parts[1].strip()));
      }
    }
    return new SampleSet(dir, samples);
  }
}
