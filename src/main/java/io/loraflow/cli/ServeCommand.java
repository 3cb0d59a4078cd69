package io.loraflow.cli;

import io.loraflow.config.ConfigKey;
import io.loraflow.config.ConfigLoader;
import io.loraflow.config.KafkaProperties;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.service.ClassifierService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.loraflow.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code loraflow serve}: runs the service. Every setting is a flag ({@code max.batch.size} is
 * {@code --max-batch-size}), declared from {@link LoraflowConfig#keys()}; Kafka properties are
 * {@code --kafka.X=V} or {@code --kafka.consumer.X V} (see {@link KafkaProperties}). Values are
 * checked by the config, which names the setting and what is allowed.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    sortOptions = false, usageHelpAutoWidth = true,
    customSynopsis = {"loraflow serve [--config=FILE] [--print-config] [--SETTING=VALUE]...",
        "               [--kafka.PROPERTY=VALUE]..."},
    description = {"Runs the service: consumes image requests, publishes results and dead letters.",
        "Settings come from --config FILE (or LORAFLOW_CONFIG), then LORAFLOW_* environment variables "
            + "(LORAFLOW_MAX_BATCH_SIZE), then these flags, each overriding the one before."},
    footer = {"", "Kafka client properties (unknown ones are refused):",
        "  --kafka.PROPERTY=VALUE           every client that defines PROPERTY",
        "                                   (--kafka.security.protocol=SASL_SSL)",
        "  --kafka.consumer.PROPERTY=VALUE  the consumer only, over --kafka.PROPERTY",
        "                                   (likewise --kafka.producer., --kafka.admin.)"})
final class ServeCommand implements Callable<Integer> {
  private static final String KAFKA_FLAG = "--" + KafkaProperties.PREFIX;

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Config file: .properties, or .json (nested objects or dotted keys).")
  String configFile;

  @Option(names = "--print-config", description = "Print the effective settings (secrets masked) and exit.")
  boolean printConfig;

  /** Kafka property flags and anything else picocli does not know, checked in {@link #kafkaFlags}. */
  @Parameters(hidden = true)
  List<String> unmatched = new ArrayList<>();

  private final Map<String, String> env;
  /** Setting key → its flag. */
  private final Map<String, OptionSpec> settingFlags = new LinkedHashMap<>();

  private ServeCommand(Map<String, String> env) {
    this.env = env;
  }

  static CommandLine commandLine(Map<String, String> env) {
    ServeCommand serve = new ServeCommand(env);
    CommandLine cl = new CommandLine(serve);
    for (ConfigKey k : LoraflowConfig.keys().values()) {
      OptionSpec option = OptionSpec.builder(flag(k.name()))
          .paramLabel("<" + k.type().name().toLowerCase(Locale.ROOT) + ">")
          .description(describe(k))
          .type(String.class)
          .build();
      cl.getCommandSpec().addOption(option);
      serve.settingFlags.put(k.name(), option);
    }
    // Kafka property flags are open-ended: they reach `unmatched` and are read there.
    cl.setUnmatchedOptionsArePositionalParams(true);
    return cl;
  }

  /** {@code max.batch.size} → {@code --max-batch-size}. */
  static String flag(String key) {
    return "--" + key.replace('.', '-');
  }

  private static String describe(ConfigKey k) {
    String dflt = k.defaultText();
    // picocli formats descriptions: a literal % must be doubled.
    return (k.doc() + (dflt.isEmpty() ? "" : " Default: " + dflt + ".")).replace("%", "%%");
  }

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>();
    settingFlags.forEach((key, option) -> {
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        flags.put(key, option.getValue());
      }
    });
    flags.putAll(kafkaFlags());
    LoraflowConfig config = ConfigLoader.load(configFile, flags, env);
    if (printConfig) {
      config.describe().forEach((k, v) -> spec.commandLine().getOut().println(k + "=" + v));
      spec.commandLine().getOut().flush();
      return 0;
    }
    return run(config);
  }

  /**
   * {@code --kafka.consumer.client.id=x} or {@code --kafka.consumer.client.id x} → key → value.
   * The dashed form ({@code --kafka-consumer-client-id}) is read too: Kafka property names have
   * no dashes.
   */
  private Map<String, String> kafkaFlags() {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < unmatched.size(); i++) {
      String arg = unmatched.get(i);
      if (!arg.startsWith("--")) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "Unexpected argument '" + arg + "': settings are given as --key value");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < unmatched.size()) {
        value = unmatched.get(++i);
      } else {
        value = null;
      }
      String key = name.replace('-', '.');
      if (!("--" + key).startsWith(KAFKA_FLAG)) {
        throw UsageErrors.unknownFlag(spec.commandLine(), arg);
      }
      if (value == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing value for option '" + arg + "'");
      }
      out.put(key, value);
    }
    return out;
  }

  /** Runs the service until SIGTERM (exit status of the JVM's shutdown) or a fatal fault (1). */
  private static int run(LoraflowConfig config) throws InterruptedException {
    // One registry for the service's meters and the Vert.x metrics module (HTTP, pools, event bus).
    PrometheusMeterRegistry registry = ServiceMetrics.newRegistry();
    OpenTelemetry otel = Tracing.open(config);
    Vertx vertx = Tracing.install(Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry)), config, otel)
        .build();
    CountDownLatch stopped = new CountDownLatch(1);
    ClassifierService service = new ClassifierService(config, registry, otel);
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
    return 0;
  }
}
