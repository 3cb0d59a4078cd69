package io.loraflow.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka client properties, passed through verbatim. {@code kafka.X} goes to every client whose
 * configuration defines {@code X} (TLS and SASL are written once); {@code kafka.consumer.X},
 * {@code kafka.producer.X} and {@code kafka.admin.X} go to that client only and win over
 * {@code kafka.X}. Keys are checked against the clients' own definitions
 * ({@code ConsumerConfig.configNames()} and its siblings), so a typo stops start-up naming the
 * closest known key instead of going unnoticed.
 */
public final class KafkaProperties {
  /** Prefix of every Kafka property; alone, the properties common to all clients. */
  public static final String PREFIX = "kafka.";

  /** The clients, with the property names each defines. */
  public enum Client {
    CONSUMER(ConsumerConfig.configNames()),
    PRODUCER(ProducerConfig.configNames()),
    ADMIN(AdminClientConfig.configNames());

    private final Set<String> names;

    Client(Set<String> names) {
      this.names = Set.copyOf(names);
    }

    /** {@code kafka.consumer.} etc. */
    public String prefix() {
      return PREFIX + name().toLowerCase(java.util.Locale.ROOT) + ".";
    }

    /**
     * Whether the client defines {@code property}, or it sits under a defined one
     * ({@code config.providers.file.class} under {@code config.providers}).
     */
    boolean defines(String property) {
      if (names.contains(property)) {
        return true;
      }
      for (int dot = property.lastIndexOf('.'); dot > 0; dot = property.lastIndexOf('.', dot - 1)) {
        if (names.contains(property.substring(0, dot))) {
          return true;
        }
      }
      return false;
    }
  }

  private KafkaProperties() {
  }

  /** True for keys under {@code kafka.}; {@link #check} says whether the client knows them. */
  public static boolean isKafkaKey(String key) {
    return key.startsWith(PREFIX);
  }

  /** Throws {@link ConfigException} naming the closest known key when no client defines {@code key}. */
  public static void check(String key) {
    Client client = clientOf(key);
    String property = key.substring(client == null ? PREFIX.length() : client.prefix().length());
    boolean known = client == null
        ? List.of(Client.values()).stream().anyMatch(c -> c.defines(property))
        : client.defines(property);
    if (!known) {
      throw new ConfigException("Unknown Kafka property '" + key + "'"
          + ClosestName.didYouMean(key, knownKeys(client)) + " Kafka properties are "
          + PREFIX + "* (every client that defines the property), "
          + String.join("*, ", List.of(Client.values()).stream().map(Client::prefix).toList())
          + "* (that client only), followed by the client's own property name.");
    }
  }

  /**
   * The properties for one client out of all Kafka keys: the common ones the client defines,
   * then its own on top.
   */
  static Map<String, String> forClient(Map<String, String> kafkaKeys, Client client) {
    Map<String, String> props = new LinkedHashMap<>();
    kafkaKeys.forEach((k, v) -> {
      String property = k.substring(PREFIX.length());
      if (clientOf(k) == null && client.defines(property)) {
        props.put(property, v);
      }
    });
    kafkaKeys.forEach((k, v) -> {
      if (k.startsWith(client.prefix())) {
        props.put(k.substring(client.prefix().length()), v);
      }
    });
    return props;
  }

  /** The client a key is specific to, or null for a common {@code kafka.X} key. */
  private static Client clientOf(String key) {
    for (Client c : Client.values()) {
      if (key.startsWith(c.prefix())) {
        return c;
      }
    }
    return null;
  }

  /** Every key that names a property under the key's own prefix. */
  private static List<String> knownKeys(Client client) {
    Set<String> out = new TreeSet<>();
    for (Client c : client == null ? Client.values() : new Client[] {client}) {
      c.names.forEach(n -> out.add((client == null ? PREFIX : c.prefix()) + n));
    }
    return new ArrayList<>(out);
  }
}
