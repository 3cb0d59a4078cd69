package io.loraflow;

import io.loraflow.config.ConfigException;
import io.loraflow.config.ConfigLoader;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.inference.DeviceCheck;
import io.loraflow.service.ClassifierService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Command line: {@code serve} runs the service, {@code device} checks the inference device,
 * {@code config} prints the settings reference. The demo runs from its own jar
 * ({@link io.loraflow.demo.DemoMain}), which carries the embedded broker.
 */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "help" : args[0];
    List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
    try {
      switch (command) {
        case "serve" -> serve(rest);
        case "demo" -> {
          // The broker is not in the service jar (issue 17): the demo has a jar of its own.
          System.err.println("loraflow: the demo is not in the service jar; run it with "
              + "java -jar target/loraflow-demo.jar demo (mvn package builds both)");
          System.exit(2);
        }
        case "device" -> System.exit(device(rest));
        case "config" -> System.out.print(rest.contains("--markdown") ? LoraflowConfig.markdownTable()
            : LoraflowConfig.textReference());
        default -> usage(command.equals("help") || command.equals("--help") ? 0 : 2);
      }
    } catch (ConfigException e) {
      System.err.println("loraflow: " + e.getMessage());
      System.exit(2);
    }
  }

  private static void serve(List<String> args) throws InterruptedException {
    boolean printOnly = args.contains("--print-config");
    LoraflowConfig config = ConfigLoader.load(
        args.stream().filter(a -> !a.equals("--print-config")).toList(), System.getenv());
    if (printOnly) {
      config.describe().forEach((k, v) -> System.out.println(k + "=" + v));
      return;
    }
    // One registry for the service's meters and the Vert.x metrics module (HTTP, pools, event bus).
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    CountDownLatch stopped = new CountDownLatch(1);
    ClassifierService service = new ClassifierService(config, registry);
    service.failed().onComplete(v -> {
      System.err.println("loraflow: stopped on a fatal fault (see the log); exiting with status 1");
      // Not on the event loop: the shutdown hook needs it to close Vert.x.
      new Thread(() -> System.exit(1), "loraflow-exit").start();
    });
    vertx.deployVerticle(service).onComplete(ar -> {
      if (ar.failed()) {
        System.err.println("loraflow: start failed: " + ar.cause().getMessage());
        vertx.close().onComplete(v -> System.exit(1));
        return;
      }
      // SIGTERM: finish and publish in-flight events, commit, close (bounded by shutdown.timeout.ms).
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(
            config.getLong(LoraflowConfig.SHUTDOWN_TIMEOUT_MS) + 10_000, TimeUnit.MILLISECONDS).join();
        stopped.countDown();
      }, "loraflow-shutdown"));
    });
    stopped.await();
  }

  /** {@code device [--model DIR] [--inference-device auto|cpu|cuda] [--seconds N]}. */
  private static int device(List<String> args) throws Exception {
    java.util.Map<String, String> o = ConfigLoader.parseFlags(args);
    return DeviceCheck.run(java.nio.file.Path.of(o.getOrDefault("model", "models/fashion-mnist")),
        o.getOrDefault("inference.device", "auto"), Integer.parseInt(o.getOrDefault("seconds", "6")));
  }

  private static void usage(int exit) {
    System.out.println("""
        usage: java -jar loraflow.jar <command> [--key value ...]

          serve   run the service (settings: --config FILE, LORAFLOW_* env vars, --flags;
                  --print-config prints the effective settings and exits)
          demo    (java -jar loraflow-demo.jar demo) start an embedded Kafka broker and the
                  service with the bundled model, classify the bundled sample images and
                  print a summary
          device  load a model package as the service would, print the device chosen
                  (auto: CUDA if it works) and bare ONNX Runtime images/s
          config  print every setting with its default and description (--markdown: as
                  the README's table)
        """);
    System.exit(exit);
  }
}
