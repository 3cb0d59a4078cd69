package io.loraflow.cli;

import io.loraflow.demo.Demo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code loraflow demo}: the service against an embedded broker, with the bundled model. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    description = {"Starts an embedded Kafka broker and the service with the bundled model, sends the "
        + "model's sample images as every kind of reference and prints each result, then accuracy "
        + "per task and events/s. Exit status 0 when every event got an outcome."})
final class DemoCommand implements Callable<Integer> {
  @Mixin
  ModelOption model;

  @Option(names = "--events", paramLabel = "N",
      description = "Events to send. Default: one and a half times the samples (three times with other tasks).")
  Integer events;

  @Option(names = "--http-port", paramLabel = "PORT",
      description = "Port of the dashboard; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
  int httpPort;

  @Option(names = "--group-type", paramLabel = "TYPE",
      description = "consumer: one instance in a consumer group on a 3-partition input; share: three instances "
          + "in one share group on a 1-partition input (Kafka queues). Default: ${DEFAULT-VALUE}.")
  String groupType = "consumer";

  @Override
  public Integer call() throws Exception {
    if (!brokerPresent()) {
      // The service jar leaves the broker out (issue 17): the demo has a jar of its own.
      System.err.println("loraflow: the demo is not in the service jar; run it with "
          + "java -jar target/loraflow-demo.jar demo (mvn package builds both)");
      return 2;
    }
    if (!groupType.equals("consumer") && !groupType.equals("share")) {
      System.err.println("loraflow demo: --group-type must be consumer or share, not '" + groupType + "'");
      return 2;
    }
    return Demo.run(model.dir, events, httpPort, groupType.equals("share"));
  }

  private static boolean brokerPresent() {
    try {
      Class.forName("kafka.server.KafkaRaftServer", false, DemoCommand.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
