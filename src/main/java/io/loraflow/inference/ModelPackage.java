package io.loraflow.inference;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model package directory as described by its {@code manifest.json} (see
 * docs/model-package.md). Everything the service knows about a model comes from here.
 */
public record ModelPackage(
    Path dir,
    String name,
    String version,
    Path modelFile,
    String inputName,
    int channels,
    int height,
    int width,
    String outputName,
    boolean outputIsLogits,
    List<String> labels,
    JsonObject preprocess,
    Set<String> tasks) {

  /** Reads and checks {@code dir/manifest.json}; the message says which field is wrong and where. */
  public static ModelPackage load(Path dir) {
    Path manifestFile = dir.resolve("manifest.json");
    if (!Files.isRegularFile(manifestFile)) {
      throw new IllegalArgumentException("No model package at " + dir.toAbsolutePath()
          + ": manifest.json not found (set 'model' to a package directory)");
    }
    try {
      JsonObject m = new JsonObject(Files.readString(manifestFile));
      JsonObject input = required(m, "input", manifestFile).getJsonObject("input");
      JsonArray shape = input.getJsonArray("shape");
      if (shape == null || shape.size() != 4 || !"NCHW".equals(input.getString("layout", "NCHW"))) {
        throw new IllegalArgumentException(manifestFile + ": input.shape must be [batch, C, H, W] (NCHW)");
      }
      if (!"float32".equals(input.getString("dtype", "float32"))) {
        throw new IllegalArgumentException(manifestFile + ": input.dtype must be float32");
      }
      JsonObject output = m.getJsonObject("output", new JsonObject());
      String kind = output.getString("kind", "logits");
      if (!kind.equals("logits") && !kind.equals("probabilities")) {
        throw new IllegalArgumentException(manifestFile + ": output.kind must be logits or probabilities");
      }
      Path model = dir.resolve(m.getString("model", "model.onnx"));
      Path labelsFile = dir.resolve(m.getString("labels", "labels.txt"));
      if (!Files.isRegularFile(model)) {
        throw new IllegalArgumentException(manifestFile + ": model file " + model + " not found");
      }
      List<String> labels = Files.readAllLines(labelsFile).stream()
          .map(String::strip).filter(s -> !s.isEmpty()).toList();
      if (labels.isEmpty()) {
        throw new IllegalArgumentException(labelsFile + ": no labels");
      }
      return new ModelPackage(dir, m.getString("name", dir.getFileName().toString()),
          m.getString("version", "0"), model, input.getString("name", "pixel_values"),
          shape.getInteger(1), shape.getInteger(2), shape.getInteger(3),
          output.getString("name", "logits"), kind.equals("logits"), labels,
          required(m, "preprocess", manifestFile).getJsonObject("preprocess"), tasks(m));
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read model package " + dir + ": " + e.getMessage(), e);
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(manifestFile + ": a field has the wrong type: " + e.getMessage(), e);
    }
  }

  /** Task names an event may ask for: the manifest's tasks and its default task. */
  private static Set<String> tasks(JsonObject m) {
    Set<String> tasks = new TreeSet<>(m.getJsonObject("tasks", new JsonObject()).fieldNames());
    tasks.add(m.getString("default_task", "default"));
    return Set.copyOf(tasks);
  }

  private static JsonObject required(JsonObject m, String field, Path file) {
    if (!(m.getValue(field) instanceof JsonObject)) {
      throw new IllegalArgumentException(file + ": missing object '" + field + "'");
    }
    return m;
  }

  /** Floats per sample: C × H × W. */
  public int sampleFloats() {
    return channels * height * width;
  }
}
