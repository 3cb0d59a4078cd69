package io.loraflow.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka 4's consumer group protocol (KIP-848): the broker assigns, the service just works. */
class GroupProtocolTest {
  @TempDir
  Path tmp;

  @Test
  void theConsumerGroupProtocolWorks() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 3);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "kip848", 32, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(3);
    String in = topics.in();
    String out = topics.out();
    String dlq = topics.dlq();
    String group = topics.group();
    Map<String, String> s = topics.settings(model, tmp);
    s.put("kafka.consumer.group.protocol", "consumer");
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      int n = 200;
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < n; i++) {
          producer.send(new ProducerRecord<>(in, "k" + i, new JsonObject().put("id", "k" + i)
              .put("image", images.get(i % 3).toString()).encode()));
        }
      }
      List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= n, Duration.ofSeconds(60));
      assertEquals(n, outs.stream().map(Out::key).collect(Collectors.toSet()).size(), "every event has an outcome");
      assertEquals(n, outs.stream().filter(o -> o.topic().equals(out)).count(), "all of them results");
      CommittedOffsets.assertAtEnd(group, in);
    } finally {
      vertx.close().await();
    }
  }
}
