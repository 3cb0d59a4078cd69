package io.loraflow.cli;

import io.loraflow.BuildInfo;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code loraflow <command>}: the command line. Every command answers {@code --help}; a usage
 * error (unknown flag, missing or malformed value, invalid setting) is one line on stderr and exit
 * status 2.
 */
@Command(name = "loraflow", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    description = "Classifies images that arrive as Kafka events with a LoRA-tuned ViT on ONNX Runtime.",
    footer = "%n'loraflow COMMAND --help' describes a command.")
public final class LoraflowCommand implements Callable<Integer> {
  /** Exit status of a usage error, as picocli and most Unix tools use it. */
  static final int USAGE = CommandLine.ExitCode.USAGE;

  @Spec
  CommandSpec spec;

  private LoraflowCommand() {
  }

  /** No command given: the usage, as an error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** Runs {@code args}; returns the exit status. {@code env} is the environment serve reads. */
  public static int execute(Map<String, String> env, String... args) {
    return commandLine(env).execute(args);
  }

  /** The command tree with its error handling, for {@link #execute} and tests (which set out/err). */
  static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new LoraflowCommand())
        .addSubcommand(ServeCommand.commandLine(env))
        .addSubcommand(new DemoCommand())
        .addSubcommand(new DeviceCommand())
        .addSubcommand(new EvaluateCommand())
        .addSubcommand(new ConfigCommand())
        .addSubcommand(new HelpCommand());
    // Set on the whole tree, so after the subcommands are added. Values are taken verbatim
    // (no @file expansion), and a repeated flag's last value wins, as the config layers do.
    cl.setExpandAtFiles(false);
    cl.setOverwrittenOptionsAllowed(true);
    cl.setParameterExceptionHandler(UsageErrors::onParameterError);
    cl.setExecutionExceptionHandler(UsageErrors::onExecutionError);
    return cl;
  }

  /** {@code --version}: the build's version and git commit ({@link BuildInfo}). */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {BuildInfo.current().describe()};
    }
  }
}
