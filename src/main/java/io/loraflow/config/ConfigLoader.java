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
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link LoraflowConfig} from, lowest precedence first: defaults, a config file (JSON,
 * nested objects flattened with dots, or Java properties), environment variables
 * ({@code LORAFLOW_MAX_BATCH_SIZE} for {@code max.batch.size}, see {@link EnvSettings}) and the
 * command line's settings. Kafka properties ({@code kafka.*}) pass through, checked by
 * {@link KafkaProperties}.
 */
public final class ConfigLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

  private ConfigLoader() {
  }

  /**
   * Loads the config. {@code configFile} may be null: then {@code LORAFLOW_CONFIG} names the file,
   * if set. {@code flags} are the command line's settings (key → text). Unknown keys and invalid
   * values throw {@link ConfigException}; environment variables that are not settings are ignored
   * and logged in one warning.
   */
  public static LoraflowConfig load(String configFile, Map<String, String> flags, Map<String, String> env) {
    return load(configFile, flags, env, LOG::warn);
  }

  /** As {@link #load(String, Map, Map)}, the warning about ignored variables going to {@code warn}. */
  static LoraflowConfig load(String configFile, Map<String, String> flags, Map<String, String> env,
      Consumer<String> warn) {
    String file = configFile != null ? configFile : env.get(EnvSettings.CONFIG_FILE);
    EnvSettings.Read fromEnv = EnvSettings.read(env);
    if (!fromEnv.ignored().isEmpty()) {
      warn.accept(EnvSettings.warning(fromEnv.ignored()));
    }
    List<Map<String, String>> layers = new ArrayList<>();
    if (file != null) {
      layers.add(readFile(Path.of(file)));
    }
    layers.add(fromEnv.settings());
    layers.add(flags);
    return fromLayers(layers);
  }

  static LoraflowConfig fromLayers(List<Map<String, String>> layers) {
    Map<String, String> merged = new LinkedHashMap<>();
    layers.forEach(merged::putAll);
    Map<String, Object> values = new HashMap<>();
    Map<String, String> kafka = new HashMap<>();
    LoraflowConfig.keys().forEach((k, def) -> values.put(k, def.defaultValue()));
    merged.forEach((k, text) -> {
      checkKey(k);
      ConfigKey def = LoraflowConfig.keys().get(k);
      if (def != null) {
        values.put(k, def.parse(text));
      } else {
        kafka.put(k, text);
      }
    });
    LoraflowConfig.checkCombinations(values);
    return new LoraflowConfig(values, kafka);
  }

  /**
   * Throws {@link ConfigException}, naming the closest known key, unless {@code key} is a
   * setting or a Kafka property.
   */
  public static void checkKey(String key) {
    if (LoraflowConfig.keys().containsKey(key)) {
      return;
    }
    if (KafkaProperties.isKafkaKey(key)) {
      KafkaProperties.check(key);
      return;
    }
    throw new ConfigException("Unknown setting '" + key + "'"
        + ClosestName.didYouMeanIfClose(key, LoraflowConfig.keys().keySet())
        + " Settings: " + String.join(", ", LoraflowConfig.keys().keySet())
        + ", and Kafka properties under " + KafkaProperties.PREFIX + " ('loraflow config' describes them).");
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
