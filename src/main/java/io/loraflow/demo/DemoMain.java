package io.loraflow.demo;

import io.loraflow.Main;
import io.loraflow.config.ConfigException;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code target/loraflow-demo.jar}: {@code demo [--flags]} runs the demo with its
 * embedded broker; every other command is the service's ({@link Main}), since the demo jar has
 * the service jar on its class path.
 */
public final class DemoMain {
  private DemoMain() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("demo")) {
      List<String> rest = Arrays.asList(args).subList(1, args.length);
      try {
        System.exit(Demo.run(rest));
      } catch (ConfigException e) {
        System.err.println("loraflow demo: " + e.getMessage());
        System.exit(2);
      }
    }
    Main.main(args);
  }
}
