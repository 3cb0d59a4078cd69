package io.loraflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.offsets.ConsumerOffsetSink;
import io.loraflow.testkit.TestBroker;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RecordIngest on the real broker, with a processor that completes every record at once. */
class RecordIngestTest {
  private Vertx vertx;
  private Context context;
  private KafkaConsumer<Buffer, Buffer> consumer;
  private RecordIngest ingest;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (ingest != null) {
      onContext(() -> ingest.stop(1_000)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * A rebalance can leave partitions paused behind the ingest's back (a resume of a set with a
   * partition just taken away fails part-way). Simulated here by pausing every partition directly
   * on the consumer: the ingest must notice and read them again.
   */
  @Test
  void partitionsLeftPausedBehindItsBackAreResumed() throws Exception {
    String topic = TestBroker.createTopic(TestBroker.uniqueName("ingest-pause"), 3);
    produce(topic, 0, 40);
    start(topic, 8); // a gate of 8: pause/resume cycles while the first 40 go through
    awaitSeen(40, 30_000);
    awaitIdle(); // not paused for backpressure: a paused partition now is a stale pause


    Set<TopicPartition> owned = onContext(() -> consumer.assignment())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(3, owned.size(), "one member owns the 3 partitions");
    onContext(() -> consumer.pause(owned)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    produce(topic, 40, 40);

    awaitSeen(80, RecordIngest.PAUSE_CHECK_MS * 3);
    awaitIdle();
    assertEquals(0, onContext(() -> consumer.paused()).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS).size(), "no partition stays paused");
  }

  private void start(String topic, int maxInFlight) throws Exception {
    Map<String, String> props = Map.of(
        "bootstrap.servers", TestBroker.bootstrapServers(),
        "group.id", TestBroker.uniqueName("ingest-group"),
        "key.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer",
        "value.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer",
        "enable.auto.commit", "false",
        "auto.offset.reset", "earliest",
        "max.poll.records", "10");
    onContext(() -> {
      consumer = KafkaConsumer.create(vertx, props);
      ingest = new RecordIngest(vertx, consumer, topic, new InFlightGate(maxInFlight),
          new ConsumerOffsetSink(consumer), 100, record -> {
            seen.add(record.value().toString());
            return Future.succeededFuture();
          });
      return ingest.start();
    }).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private void awaitSeen(int n, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (seen.size() < n && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(seen.size() >= n, "processed " + seen.size() + " of " + n + " records in " + timeoutMs + " ms");
  }

  private void awaitIdle() throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (onContext(() -> Future.succeededFuture(ingest.inFlight() + ingest.pausedPartitions()))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS) > 0) {
      assertTrue(System.currentTimeMillis() < deadline, "in-flight events never committed");
      Thread.sleep(20);
    }
  }

  private static void produce(String topic, int from, int count) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        "bootstrap.servers", TestBroker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < from + count; i++) {
        producer.send(new ProducerRecord<>(topic, i % 3, null, "r" + i));
      }
    }
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }
}
