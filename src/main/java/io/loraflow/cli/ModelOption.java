package io.loraflow.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model DIR} of the commands that load a model package themselves (demo, device). */
final class ModelOption {
  @Option(names = "--model", paramLabel = "DIR", description = "Model package. Default: ${DEFAULT-VALUE}.")
  Path dir = Path.of("models/fashion-mnist");
}
