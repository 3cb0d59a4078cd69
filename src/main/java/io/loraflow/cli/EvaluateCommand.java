package io.loraflow.cli;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.evaluate.Confusion;
import io.loraflow.evaluate.Evaluator;
import io.loraflow.evaluate.LabelledImages;
import io.loraflow.inference.ModelPackage;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code loraflow evaluate}: accuracy of a model package on labelled images, through the served path. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    description = {"Classifies labelled images with the service's decoder, preprocessing and inference "
        + "session and prints top-1, top-5, per-class accuracy and the most confused pairs. Unreadable "
        + "images are counted and named. Exit status 0 when at least one image was classified."})
final class EvaluateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ModelOption model;

  @Option(names = "--images", paramLabel = "FOLDER|FILE.csv", required = true,
      description = {"A folder with one subfolder per label (ImageFolder layout; a '/' in a label is "
          + "written '_'), or a CSV of path,label lines (paths relative to the CSV; a file,label header is skipped)."})
  Path images;

  @Option(names = "--task", paramLabel = "NAME",
      description = "The LoRA task of the package to evaluate. Default: the package's default task.")
  String task;

  @Mixin
  DeviceOption device;

  @Override
  public Integer call() throws Exception {
    String inferenceDevice = device.checked();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long maxPixels = (Long) LoraflowConfig.keys().get(LoraflowConfig.IMAGE_MAX_PIXELS).defaultValue();
    try (Evaluator evaluator = new Evaluator(ModelPackage.load(model.dir), task, inferenceDevice, maxPixels)) {
      List<LabelledImages.Labelled> labelled = LabelledImages.read(images, evaluator.labels());
      out.println(evaluator.describe() + ": " + labelled.size() + " images from " + images);
      out.flush();
      Confusion confusion = evaluator.run(labelled, err);
      confusion.print(out);
      return confusion.classified() > 0 ? 0 : 1;
    } catch (IllegalArgumentException | UncheckedIOException e) {
      err.println("loraflow evaluate: " + e.getMessage());
      return LoraflowCommand.USAGE;
    }
  }
}
