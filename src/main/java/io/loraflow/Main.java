package io.loraflow;

import io.loraflow.cli.LoraflowCommand;

/** {@code java -jar loraflow.jar <command>}; the commands are in {@link LoraflowCommand}. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    int status = LoraflowCommand.execute(System.getenv(), args);
    // After serve returns the JVM is already shutting down (SIGTERM): this exit then waits for the
    // shutdown hooks, and the JVM ends with the signal's status. The demo leaves client threads.
    System.exit(status);
  }
}
