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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model that returns fewer rows than the batch it was given (here: always one): the events
 * without a row become INFERENCE_FAILED dead letters instead of waiting forever, and the
 * partition goes on.
 */
class ShortModelTest {
  @TempDir
  Path tmp;

  @Test
  void eventsWithoutAnOutputRowAreDeadLetteredNotLeftPending() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    Path model = OnnxModels.writeOneRowPackage(tmp.resolve("model"), "one-row");
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    Map<String, String> s = topics.settings(model, tmp);
    s.put(LoraflowConfig.MAX_BATCH_SIZE, "4");
    s.put(LoraflowConfig.MAX_QUEUE_DELAY_MS, "200");
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      int n = 40;
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < n; i++) {
          producer.send(new ProducerRecord<>(topics.in(), "k" + i, new JsonObject().put("id", "k" + i)
              .put("image", images.get(i % 2).toString()).encode()));
        }
      }
      List<Out> outs = OutputCollector.collect(List.of(topics.out(), topics.dlq()), o -> o.size() >= n,
          Duration.ofSeconds(60));
      assertEquals(n, outs.size(), "one outcome per event");
      long results = outs.stream().filter(o -> o.topic().equals(topics.out())).count();
      long failed = outs.stream().filter(o -> "INFERENCE_FAILED".equals(o.headers().get("loraflow.error.reason")))
          .count();
      assertEquals(n, results + failed, "results or INFERENCE_FAILED, nothing else");
      assertTrue(results >= n / 4 && failed > 0, "the first event of each batch has its row: " + results
          + " results, " + failed + " failed");
      CommittedOffsets.assertAtEnd(topics.group(), topics.in());
    } finally {
      vertx.close().await();
    }
  }
}
