package io.loraflow.cli;

import io.loraflow.config.ClosestName;
import io.loraflow.config.ConfigException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Usage errors as one line on stderr, naming the command, and exit status 2: picocli's parse
 * errors (unknown flag, malformed number) and invalid settings ({@link ConfigException}).
 * Anything else is a real failure and keeps its stack trace (exit status 1).
 */
final class UsageErrors {
  private UsageErrors() {
  }

  static int onParameterError(ParameterException e, String[] args) {
    String hint = "";
    CommandLine cl = e.getCommandLine();
    if (e instanceof UnmatchedArgumentException u && !cl.getSubcommands().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      String command = u.getUnmatched().get(0);
      return report(cl, "Unknown command '" + command + "'; the commands are "
          + String.join(", ", cl.getSubcommands().keySet()));
    }
    if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      hint = ClosestName.didYouMean(u.getUnmatched().get(0), u.getSuggestions()).replaceFirst("\\.$", "");
    }
    return report(cl, e.getMessage() + hint);
  }

  static int onExecutionError(Exception e, CommandLine cl, ParseResult parsed) throws Exception {
    if (e instanceof ConfigException) {
      return report(cl, e.getMessage());
    }
    throw e;
  }

  /** Unknown flag {@code arg} of {@code cl}: names the closest flag the command has. */
  static ParameterException unknownFlag(CommandLine cl, String arg) {
    String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
    List<String> flags = cl.getCommandSpec().options().stream().filter(o -> !o.hidden())
        .map(o -> o.longestName()).toList();
    return new ParameterException(cl, "Unknown option: '" + name + "'"
        + ClosestName.didYouMeanIfClose(name, flags).replaceFirst("\\.$", ""));
  }

  private static int report(CommandLine cl, String message) {
    String command = cl.getCommandSpec().qualifiedName();
    cl.getErr().println(command + ": " + message.strip().replaceAll("\\s*\\R\\s*", " ")
        + " (see '" + command + " --help')");
    return LoraflowCommand.USAGE;
  }
}
