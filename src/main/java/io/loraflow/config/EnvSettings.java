package io.loraflow.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings from {@code LORAFLOW_*} environment variables: {@code LORAFLOW_MAX_BATCH_SIZE} for
 * {@code max.batch.size}, {@code LORAFLOW_KAFKA_CONSUMER_CLIENT_ID} for
 * {@code kafka.consumer.client.id}. Only variables of known settings and of Kafka properties are
 * read. Others share the prefix without being meant for the service — the kubelet's service links
 * for a Service named {@code loraflow} ({@code LORAFLOW_PORT=tcp://10.0.0.1:8080},
 * {@code LORAFLOW_SERVICE_HOST}), a test's {@code LORAFLOW_PARITY_MODEL_DIR} — so they are
 * ignored and reported, not fatal.
 */
final class EnvSettings {
  static final String PREFIX = "LORAFLOW_";
  /** Names the config file; not a setting. */
  static final String CONFIG_FILE = PREFIX + "CONFIG";

  /**
   * The kubelet's service-link variables of a Service named {@code loraflow} or
   * {@code loraflow-*}: {@code _SERVICE_HOST}, {@code _SERVICE_PORT[_NAME]}, {@code _PORT},
   * {@code _PORT_8080_TCP[_PROTO|_PORT|_ADDR]}. Never Kafka properties, even under
   * {@code LORAFLOW_KAFKA_} (a Service named {@code loraflow-kafka}).
   */
  private static final Pattern SERVICE_LINK = Pattern.compile("LORAFLOW(_[A-Z0-9_]+)?_"
      + "(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)");

  /** The value of a kubelet service link: {@code tcp://10.0.0.1:8080}. */
  private static final Pattern LINK_VALUE = Pattern.compile("(tcp|udp|sctp)://", Pattern.CASE_INSENSITIVE);

  /** Settings read (key → text) and the variables ignored, sorted. */
  record Read(Map<String, String> settings, List<String> ignored) {
  }

  private EnvSettings() {
  }

  static Read read(Map<String, String> env) {
    Map<String, String> settings = new LinkedHashMap<>();
    List<String> ignored = new ArrayList<>();
    new TreeMap<>(env).forEach((name, value) -> {
      if (!name.startsWith(PREFIX) || name.equals(CONFIG_FILE)) {
        return;
      }
      String key = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
      // A Service named e.g. loraflow-http links LORAFLOW_HTTP_PORT=tcp://…: a service link, not
      // the setting http.port (a real value of it has no scheme).
      boolean linkValue = LINK_VALUE.matcher(value).lookingAt();
      boolean kafka = KafkaProperties.isKafkaKey(key) && !SERVICE_LINK.matcher(name).matches() && !linkValue;
      if ((LoraflowConfig.keys().containsKey(key) && !linkValue) || kafka) {
        settings.put(key, value);
      } else {
        ignored.add(name);
      }
    });
    return new Read(settings, List.copyOf(ignored));
  }

  /** The one warning for the ignored variables, naming each. */
  static String warning(List<String> ignored) {
    return "event=env_ignored variables=" + String.join(",", ignored) + " reason=\"not a loraflow setting: "
        + "settings are LORAFLOW_ + a key of 'loraflow config' (LORAFLOW_MAX_BATCH_SIZE) or a Kafka "
        + "property (LORAFLOW_KAFKA_SECURITY_PROTOCOL); the kubelet adds LORAFLOW_PORT, "
        + "LORAFLOW_SERVICE_HOST... for a Service named loraflow unless the pod sets enableServiceLinks: false\"";
  }
}
