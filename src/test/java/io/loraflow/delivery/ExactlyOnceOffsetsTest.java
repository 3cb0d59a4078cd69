package io.loraflow.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * processing.guarantee=exactly_once with an input written by a transactional upstream producer:
 * committed and aborted transactions alternate, and partition 1 holds nothing but aborted records
 * and transaction markers. The service (read_committed) gives exactly one outcome per committed
 * input record and none for an aborted one, and its committed offsets reach the log end of both
 * partitions, past the last markers: partition 1 is never handed a record, so its offset moves
 * only through a commit that carries positions but no sends.
 */
class ExactlyOnceOffsetsTest {
  static final int PER_COMMITTED_TXN = 40;

  @TempDir
  Path tmp;

  @Test
  void committedOffsetsReachTheLogEndPastTransactionMarkers() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 3);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "eos-offsets", 32, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(2);
    Map<String, String> s = topics.settings(model, tmp);
    s.put(LoraflowConfig.PROCESSING_GUARANTEE, "exactly_once");
    s.put(LoraflowConfig.TRANSACTIONAL_ID, topics.group() + "-tx");
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      Set<String> committed = new TreeSet<>();
      try (KafkaProducer<String, String> upstream = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers(), "transactional.id", TestBroker.uniqueName("upstream")),
          new StringSerializer(), new StringSerializer())) {
        upstream.initTransactions();
        for (int txn = 0; txn < 6; txn++) {
          boolean commit = txn % 2 == 0;
          upstream.beginTransaction();
          for (int i = 0; i < PER_COMMITTED_TXN; i++) {
            String id = (commit ? "c-" : "aborted-") + txn + "-" + i;
            // Committed records go to partition 0 only; aborted ones to both.
            int partition = commit ? 0 : i % 2;
            upstream.send(new ProducerRecord<>(topics.in(), partition, id, new JsonObject().put("id", id)
                .put("image", images.get(i % images.size()).toString()).encode()));
            if (commit) {
              committed.add(id);
            }
          }
          if (commit) {
            upstream.commitTransaction();
          } else {
            upstream.abortTransaction();
          }
        }
      }
      List<Out> outs = OutputCollector.collectSettled(List.of(topics.out(), topics.dlq()), committed.size(),
          Duration.ofSeconds(2), Duration.ofSeconds(60));
      Map<String, Long> perKey = outs.stream().collect(Collectors.groupingBy(Out::key, TreeMap::new,
          Collectors.counting()));
      assertEquals(committed, perKey.keySet(), "an outcome for each committed input record, none for an aborted one");
      assertTrue(perKey.values().stream().allMatch(n -> n == 1), "exactly one outcome each: " + perKey);
      assertTrue(outs.stream().allMatch(o -> o.value().containsKey("labels")), "all results");
      // Both log ends lie past an abort marker (the last transaction is aborted); partition 1 (60
      // aborted records and 3 markers) was never handed a record.
      CommittedOffsets.assertAtEnd(topics.group(), topics.in());
    } finally {
      vertx.close().await();
    }
  }
}
