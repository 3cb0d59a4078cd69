package io.loraflow.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.TestBroker;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded broker with plain Kafka clients: round trip, restart, idempotent creation. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedKafkaTest {

  @BeforeAll
  static void startBroker() {
    TestBroker.get(); // the ~3 s start is not any one test's time
  }

  @Test
  void thousandRecordsRoundTripThroughThreePartitions() throws Exception {
    String topic = TestBroker.createTopic(TestBroker.uniqueName("roundtrip"), 3);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int i = 0; i < 1_000; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
      }
      producer.flush();
    }

    List<ConsumerRecord<String, String>> records = consumeSubscribed(topic, 1_000);

    Set<String> keys = new HashSet<>();
    Set<Integer> partitions = new HashSet<>();
    for (ConsumerRecord<String, String> r : records) {
      keys.add(r.key());
      partitions.add(r.partition());
      assertEquals("v" + r.key().substring(1), r.value());
    }
    assertEquals(1_000, records.size());
    assertEquals(1_000, keys.size());
    assertEquals(Set.of(0, 1, 2), partitions);
  }

  @Test
  void stopAndRestartKeepAddressAndData() throws Exception {
    EmbeddedKafka broker = TestBroker.get();
    String address = broker.bootstrapServers();
    String topic = TestBroker.createTopic(TestBroker.uniqueName("restart"), 1);
    try (KafkaProducer<String, String> producer = producer()) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "before")).get();
      }
    }
    try {
      broker.stop();
      assertFalse(broker.isRunning());
      broker.stop(); // idempotent
    } finally {
      broker.restart();
    }
    assertTrue(broker.isRunning());
    assertEquals(address, broker.bootstrapServers());

    try (KafkaProducer<String, String> producer = producer()) {
      producer.send(new ProducerRecord<>(topic, "k10", "after")).get(30, TimeUnit.SECONDS);
    }
    List<ConsumerRecord<String, String>> records = consumeAssigned(topic, 11);
    assertEquals(11, records.size());
    assertEquals("before", records.get(0).value());
    assertEquals("after", records.get(10).value());
  }

  @Test
  void createAndAwaitIsIdempotent() throws Exception {
    String name = TestBroker.uniqueName("idem");
    List<NewTopic> topics = List.of(new NewTopic(name, 2, (short) 1));
    Topics.createAndAwait(TestBroker.admin(), topics);
    Topics.createAndAwait(TestBroker.admin(), topics);
    // An existing topic is left as it is, even if asked for with another partition count.
    Topics.createAndAwait(TestBroker.admin(), List.of(new NewTopic(name, 5, (short) 1)));

    int partitions = TestBroker.admin().describeTopics(List.of(name)).allTopicNames()
        .get(10, TimeUnit.SECONDS).get(name).partitions().size();
    assertEquals(2, partitions);
  }

  @Test
  void createAndAwaitRunsOnAVertxWorker() throws Exception {
    String name = TestBroker.uniqueName("vertx");
    Vertx vertx = Vertx.vertx();
    try {
      Topics.createAndAwait(vertx, TestBroker.admin(),
              List.of(new NewTopic(name, 1, (short) 1)), Duration.ofSeconds(20))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertTrue(TestBroker.admin().listTopics().names().get(10, TimeUnit.SECONDS).contains(name));
  }

  private static KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5),
        new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), new StringDeserializer());
  }

  /** Consumes with a group subscription (exercises the group coordinator). */
  private static List<ConsumerRecord<String, String>> consumeSubscribed(String topic, int n) {
    try (KafkaConsumer<String, String> consumer = consumer(TestBroker.uniqueName("g"))) {
      consumer.subscribe(List.of(topic));
      return pollUntil(consumer, n);
    }
  }

  /** Consumes partition 0 from the start without a group, in offset order. */
  private static List<ConsumerRecord<String, String>> consumeAssigned(String topic, int n) {
    try (KafkaConsumer<String, String> consumer = consumer(TestBroker.uniqueName("g"))) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      return pollUntil(consumer, n);
    }
  }

  private static List<ConsumerRecord<String, String>> pollUntil(
      KafkaConsumer<String, String> consumer, int n) {
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.size() < n && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }
}
