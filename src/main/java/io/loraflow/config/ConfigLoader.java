package io.loraflow.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Builds a {@link LoraflowConfig} from, lowest precedence first: defaults, a config file (JSON,
 * nested objects flattened with dots, or Java properties), environment variables
 * ({@code LORAFLOW_MAX_BATCH_SIZE} for {@code max.batch.size}) and flags ({@code --max-batch-size 8}
 * or {@code --max-batch-size=8}; Kafka properties as {@code --kafka.consumer.fetch.min.bytes=1}).
 */
public final class ConfigLoader {
  static final String ENV_PREFIX = "LORAFLOW_";

  private ConfigLoader() {
  }

  /**
   * Loads the config. {@code args} may contain {@code --config <file>}; the file may also be named
   * by {@code LORAFLOW_CONFIG}. Unknown keys and invalid values throw {@link ConfigException}.
   */
  public static LoraflowConfig load(List<String> args, Map<String, String> env) {
    Map<String, String> flags = parseFlags(args);
    String file = flags.remove("config");
    if (file == null) {
      file = env.get(ENV_PREFIX + "CONFIG");
    }
    List<Map<String, String>> layers = new ArrayList<>();
    if (file != null) {
      layers.add(readFile(Path.of(file)));
    }
    layers.add(fromEnv(env));
    layers.add(flags);
    return fromLayers(layers);
  }

  static LoraflowConfig fromLayers(List<Map<String, String>> layers) {
    Map<String, String> merged = new LinkedHashMap<>();
    layers.forEach(merged::putAll);
    Map<String, Object> values = new HashMap<>();
    Map<String, String> passThrough = new HashMap<>();
    LoraflowConfig.keys().forEach((k, def) -> values.put(k, def.defaultValue()));
    merged.forEach((k, text) -> {
      ConfigKey def = LoraflowConfig.keys().get(k);
      if (def != null) {
        Object v = def.type().parse(k, text);
        def.validator().ensureValid(k, v);
        values.put(k, v);
      } else if (LoraflowConfig.KAFKA_PREFIXES.stream().anyMatch(k::startsWith)) {
        passThrough.put(k, text);
      } else {
        throw new ConfigException("Unknown setting '" + k + "'. Known settings: "
            + String.join(", ", LoraflowConfig.keys().keySet())
            + ", and Kafka client properties under " + String.join(", ", LoraflowConfig.KAFKA_PREFIXES));
      }
    });
    return new LoraflowConfig(values, passThrough);
  }

  /**
   * {@code --max-batch-size 8} → {@code max.batch.size=8}; Kafka pass-through keys stay verbatim.
   * Also parses the {@code demo} and {@code device} commands' options.
   */
  public static Map<String, String> parseFlags(List<String> args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new ConfigException("Unexpected argument '" + arg + "': settings are given as --key value");
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw new ConfigException("Flag --" + name + " needs a value");
      }
      flags.put(name.startsWith("kafka.") || name.equals("config") ? name : name.replace('-', '.'), value);
    }
    return flags;
  }

  static Map<String, String> fromEnv(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith(ENV_PREFIX) && !k.equals(ENV_PREFIX + "CONFIG")) {
        out.put(k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    return out;
  }

  static Map<String, String> readFile(Path file) {
    try {
      Map<String, String> out = new LinkedHashMap<>();
      if (file.toString().endsWith(".json")) {
        flatten("", new JsonObject(Files.readString(file)), out);
      } else {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
          p.load(r);
        }
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("Cannot read config file " + file + ": " + e.getMessage());
    }
  }

  private static void flatten(String prefix, JsonObject json, Map<String, String> out) {
    json.forEach(e -> {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject nested) {
        flatten(key + ".", nested, out);
      } else if (e.getValue() instanceof io.vertx.core.json.JsonArray arr) {
        List<String> items = new ArrayList<>();
        arr.forEach(x -> items.add(String.valueOf(x)));
        out.put(key, String.join(",", items));
      } else {
        out.put(key, String.valueOf(e.getValue()));
      }
    });
  }
}
