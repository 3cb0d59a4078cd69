package io.loraflow.testkit;

import io.loraflow.batch.BatchRunner;
import io.loraflow.config.ConfigLoader;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.inference.TaskRegistry;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.service.ClassifierService;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service on a stand-in for a GPU: every batch first holds a one-thread "device" for
 * {@link #BATCH_MS} of wall time (a sleep, so it costs no CPU), then runs the near-free test model.
 * Batches take the device one at a time, as kernels on one GPU do, so an instance tops out at
 * {@code max.batch.size / BATCH_MS} whatever the CPU; more instances are the only way past it, which
 * is what the share-group scaling tests measure on a 2-core machine. Takes {@code serve
 * --key=value ...} as {@code io.loraflow.Main} does (flags only, no config file or environment);
 * start it with {@link ServiceProcess#launch(String, Map, String)}.
 */
public final class SlowDeviceMain {
  /** Wall time each batch holds the device, whatever its size. */
  public static final long BATCH_MS = 500;

  private SlowDeviceMain() {
  }

  public static void main(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String arg : args) {
      if (arg.equals("serve")) {
        continue;
      }
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("SlowDeviceMain takes serve --key=value ..., not " + arg);
      }
      flags.put(arg.substring(2, eq).replace('-', '.'), arg.substring(eq + 1));
    }
    LoraflowConfig config = ConfigLoader.load(null, flags, Map.of());
    Vertx vertx = Vertx.vertx();
    WorkerExecutor gpu = vertx.createSharedWorkerExecutor("slow-device", 1, 10, TimeUnit.MINUTES);
    ClassifierService service = new ClassifierService(config, ServiceMetrics.newRegistry(),
        io.opentelemetry.api.OpenTelemetry.noop(), inference -> slow(gpu, inference));
    service.failed().onComplete(v -> new Thread(() -> System.exit(1), "slow-device-exit").start());
    vertx.deployVerticle(service).onComplete(ar -> {
      if (ar.failed()) {
        System.err.println("SlowDeviceMain: start failed: " + ar.cause());
        System.exit(1);
      }
    });
    // SIGTERM: stop the service as serve does (in-flight events finish, share records are released).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().toCompletionStage().toCompletableFuture()
        .orTimeout(config.getLong(LoraflowConfig.SHUTDOWN_TIMEOUT_MS) + 10_000, TimeUnit.MILLISECONDS).join(),
        "slow-device-shutdown"));
  }

  private static BatchRunner<TaskRegistry.Resident> slow(WorkerExecutor gpu, BatchRunner<TaskRegistry.Resident> inner) {
    return (task, batch, first, rows) -> gpu.<Void>executeBlocking(() -> {
      Thread.sleep(BATCH_MS);
      return null;
    }).compose(v -> inner.run(task, batch, first, rows));
  }
}
