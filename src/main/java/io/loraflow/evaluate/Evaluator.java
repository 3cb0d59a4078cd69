package io.loraflow.evaluate;

import io.loraflow.error.StageException;
import io.loraflow.evaluate.LabelledImages.Labelled;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TaskRegistry;
import io.loraflow.inference.TopK;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.Buffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;

/**
 * {@code loraflow evaluate}: classifies labelled images through the classes the service serves
 * with (the decoder, the preprocessor, the inference session with the task's adapter, top-k) and
 * counts the outcome in a {@link Confusion}. An image that cannot be read or decoded is counted
 * and named, not fatal.
 *
 * <p>Thread: the caller's, blocking.
 */
public final class Evaluator implements AutoCloseable {
  private static final int BATCH = 32;

  private final ModelPackage model;
  private final InferenceSession session;
  private final TaskRegistry tasks;
  private final TaskRegistry.Resident task;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;

  /**
   * Opens the model as the service does: the tasks it would serve (all of a multi-task package,
   * else the default one), {@code task} among them ({@code null}: the default task).
   */
  public Evaluator(ModelPackage model, String task, String device, long maxPixels) throws Exception {
    this.model = model;
    this.tasks = new TaskRegistry(model.multiTask() ? model.tasks().values()
        : List.of(model.tasks().get(model.defaultTask())), Set.of(), 1);
    String name = task != null ? task : model.defaultTask();
    if (!tasks.isKnown(name)) {
      throw new IllegalArgumentException("--task " + name + ": the package serves " + tasks.names());
    }
    this.preprocessor = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    this.decoder = new ImageDecoder(maxPixels);
    this.session = InferenceSession.open(model, device, 0, BATCH);
    this.task = tasks.acquire(name);
  }

  public List<String> labels() {
    return task.spec().labels();
  }

  public String describe() {
    return "model " + model.name() + " " + model.version() + ", task " + task.spec().name()
        + ", device " + session.device();
  }

  /** Classifies {@code images} in batches; {@code progress} (stderr) hears a line per batch. */
  public Confusion run(List<Labelled> images, PrintWriter progress) throws Exception {
    Confusion confusion = new Confusion(labels());
    Buffer batch = session.allocate(BATCH);
    Labelled[] rows = new Labelled[BATCH];
    int n = 0;
    int done = 0;
    long shown = -1;
    for (Labelled image : images) {
      DecodedImage decoded = decode(image, confusion);
      if (decoded != null) {
        preprocessor.writeTo(decoded, batch, n * model.sampleValues());
        rows[n++] = image;
      }
      done++;
      if (n == BATCH || done == images.size()) {
        classify(batch, rows, n, confusion);
        n = 0;
        long percent = 100L * done / images.size();
        if (percent != shown) { // one line a percent, rewritten in place on a terminal
          progress.printf("\revaluate: %d/%d images (%d%%)", done, images.size(), percent);
          progress.flush();
          shown = percent;
        }
      }
    }
    progress.println();
    return confusion;
  }

  private DecodedImage decode(Labelled image, Confusion confusion) {
    try {
      return decoder.decode(Files.readAllBytes(image.file()));
    } catch (IOException | StageException e) {
      confusion.unreadable(image.file(), e.getMessage());
      return null;
    }
  }

  private void classify(Buffer batch, Labelled[] rows, int n, Confusion confusion) throws Exception {
    if (n == 0) {
      return;
    }
    float[][] out = session.run(batch, n, task.adapter());
    List<String> labels = labels();
    if (out[0].length != labels.size()) { // the service would answer class_N; a score needs the names
      throw new IllegalArgumentException("the model outputs " + out[0].length + " classes but task "
          + task.spec().name() + " has " + labels.size() + " labels");
    }
    for (int i = 0; i < n; i++) {
      List<String> top = TopK.of(out[i], model.outputIsLogits(), labels, 5).labels();
      confusion.add(rows[i].label(), top.stream().mapToInt(labels::indexOf).toArray());
    }
  }

  @Override
  public void close() {
    tasks.release(task);
    tasks.close();
    session.close();
  }
}
