package io.loraflow.cli;

import io.loraflow.config.LoraflowConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code loraflow config}: the settings reference. */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    description = "Prints every setting with its type, default and description.")
final class ConfigCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--markdown", description = "As the README's table.")
  boolean markdown;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(markdown ? LoraflowConfig.markdownTable() : LoraflowConfig.textReference());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
