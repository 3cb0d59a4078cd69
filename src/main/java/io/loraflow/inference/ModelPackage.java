package io.loraflow.inference;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

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
    InputType inputType,
    int channels,
    int height,
    int width,
    String outputName,
    boolean outputIsLogits,
    List<String> labels,
    JsonObject preprocess,
    String defaultTask,
    Path loraBase,
    Map<String, TaskSpec> tasks) {

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
      InputType inputType;
      try {
        inputType = InputType.fromManifest(input.getString("dtype", "float32"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(manifestFile + ": " + e.getMessage(), e);
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
      List<String> labels = readLabels(labelsFile);
      String defaultTask = m.getString("default_task", "default");
      Path loraBase = m.getString("lora_base_model") == null ? null : dir.resolve(m.getString("lora_base_model"));
      if (loraBase != null && !Files.isRegularFile(loraBase)) {
        throw new IllegalArgumentException(manifestFile + ": lora_base_model " + loraBase + " not found");
      }
      return new ModelPackage(dir, m.getString("name", dir.getFileName().toString()),
          m.getString("version", "0"), model, input.getString("name", "pixel_values"), inputType,
          shape.getInteger(1), shape.getInteger(2), shape.getInteger(3),
          output.getString("name", "logits"), kind.equals("logits"), labels,
          required(m, "preprocess", manifestFile).getJsonObject("preprocess"), defaultTask, loraBase,
          tasks(dir, m, defaultTask, labels, manifestFile));
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read model package " + dir + ": " + e.getMessage(), e);
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(manifestFile + ": a field has the wrong type: " + e.getMessage(), e);
    }
  }

  /**
   * The manifest's {@code tasks} ({@code name → {"adapter": file, "labels": file}}), plus the
   * default task when the manifest does not list it (served by the base weights and the package's
   * labels).
   */
  private static Map<String, TaskSpec> tasks(Path dir, JsonObject m, String defaultTask,
      List<String> labels, Path manifestFile) throws IOException {
    Map<String, TaskSpec> tasks = new LinkedHashMap<>();
    JsonObject declared = m.getJsonObject("tasks", new JsonObject());
    for (String name : declared.fieldNames()) {
      JsonObject t = declared.getJsonObject(name);
      Path adapter = t.getString("adapter") == null ? null : dir.resolve(t.getString("adapter"));
      if (adapter != null && !Files.isRegularFile(adapter)) {
        throw new IllegalArgumentException(manifestFile + ": tasks." + name + ".adapter " + adapter + " not found");
      }
      List<String> taskLabels = t.getString("labels") == null ? labels : readLabels(dir.resolve(t.getString("labels")));
      tasks.put(name, new TaskSpec(name, adapter, taskLabels));
    }
    tasks.putIfAbsent(defaultTask, new TaskSpec(defaultTask, null, labels));
    return Collections.unmodifiableMap(tasks);
  }

  public static List<String> readLabels(Path file) throws IOException {
    List<String> labels = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (labels.isEmpty()) {
      throw new IllegalArgumentException(file + ": no labels");
    }
    return labels;
  }

  /**
   * True when events are served through LoRA adapters on the base graph ({@code lora_base_model} and
   * more than one task); otherwise the merged {@code model} serves the single task, with no
   * adapter overhead.
   */
  public boolean multiTask() {
    return loraBase != null && tasks.size() > 1;
  }

  private static JsonObject required(JsonObject m, String field, Path file) {
    if (!(m.getValue(field) instanceof JsonObject)) {
      throw new IllegalArgumentException(file + ": missing object '" + field + "'");
    }
    return m;
  }

  /** The graph the session loads: the LoRA base graph for multi-task serving, else the merged model. */
  public Path servedGraph() {
    return multiTask() ? loraBase : modelFile;
  }

  /** Values per sample, C × H × W: floats or bytes, as {@link #inputType} says. */
  public int sampleValues() {
    return channels * height * width;
  }
}
