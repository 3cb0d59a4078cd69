package io.loraflow.testkit;

import io.loraflow.broker.EmbeddedKafka;
import io.loraflow.broker.Topics;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one real Kafka broker of a test JVM, started on first use (~3 s) and stopped by a JVM
 * shutdown hook. Shared because several brokers in one JVM collide on JMX names and each costs a
 * start; tests stay independent by using their own topics ({@link #uniqueName}) and groups.
 *
 * <p>Tests that {@link EmbeddedKafka#stop() stop} or {@link EmbeddedKafka#restart() restart}
 * {@link #get() the broker} must restart it before they end.
 */
public final class TestBroker {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  private TestBroker() {}

  /** Initialization-on-demand holder: thread-safe lazy start. */
  private static final class Holder {
    static final KafkaRelay RELAY = KafkaRelay.open();
    static final EmbeddedKafka BROKER = EmbeddedKafka.startRelayed(RELAY.port());
    static final Admin ADMIN = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrapServers()));

    static {
      RELAY.forwardTo(BROKER.relayedListenerPort());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        ADMIN.close();
        BROKER.close();
      }, "test-broker-shutdown"));
    }
  }

  /** The shared broker, started if needed. */
  public static EmbeddedKafka get() {
    return Holder.BROKER;
  }

  public static String bootstrapServers() {
    return get().bootstrapServers();
  }

  /**
   * The relay in front of the broker: clients that bootstrap at its {@link KafkaRelay#address()}
   * talk through it. Tests that {@link KafkaRelay#hold hold} requests must release them before
   * they end.
   */
  public static KafkaRelay relay() {
    return Holder.RELAY;
  }

  /** A shared admin client for the broker; do not close it. */
  public static Admin admin() {
    return Holder.ADMIN;
  }

  /**
   * Creates a topic (replication 1) and waits until producing to it is safe (KAFKA-15591); an
   * existing topic is left as is. Returns {@code name}.
   */
  public static String createTopic(String name, int partitions) {
    Topics.createAndAwait(admin(), List.of(new NewTopic(name, partitions, (short) 1)));
    return name;
  }

  /** Produces {@code records} (key to value, in their order) to {@code topic}, each acknowledged. */
  public static void send(String topic, Map<String, String> records) throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        bootstrapServers()), new StringSerializer(), new StringSerializer())) {
      for (Map.Entry<String, String> e : records.entrySet()) {
        producer.send(new ProducerRecord<>(topic, e.getKey(), e.getValue())).get();
      }
    }
  }

  /** A name no other test in this or an earlier run on the same broker uses: prefix-run-n. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + RUN + "-" + COUNTER.incrementAndGet();
  }

  /** Fresh input, output and dead-letter topics and a group name for one service run. */
  public record Pipeline(String in, String out, String dlq, String group) {
    /** Settings of {@link TestSettings#of} for this pipeline, without HTTP. */
    public Map<String, String> settings(java.nio.file.Path model, java.nio.file.Path... roots) {
      Map<String, String> s = TestSettings.of(in, out, dlq, group, model, roots);
      s.put(io.loraflow.config.LoraflowConfig.HTTP_PORT, "-1");
      return s;
    }
  }

  /** Creates a {@link Pipeline}: input and output with {@code partitions}, a 1-partition DLQ. */
  public static Pipeline pipeline(int partitions) {
    return new Pipeline(createTopic(uniqueName("in"), partitions), createTopic(uniqueName("out"), partitions),
        createTopic(uniqueName("dlq"), 1), uniqueName("g"));
  }
}
