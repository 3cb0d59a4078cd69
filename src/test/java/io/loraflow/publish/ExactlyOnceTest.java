package io.loraflow.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.CommittedOffsets;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** processing.guarantee=exactly_once on the real broker: outcomes and offsets in transactions. */
class ExactlyOnceTest {
  @TempDir
  Path tmp;

  @Test
  void readCommittedConsumerSeesEachOutcomeOnceAndOffsetsCommitInTheTransaction() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 5);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "eos", 32, 0);
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 3);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 3);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    String group = TestBroker.uniqueName("g");
    Map<String, String> s = TestSettings.of(in, out, dlq, group, model, tmp);
    s.put(LoraflowConfig.HTTP_PORT, "-1");
    s.put(LoraflowConfig.PROCESSING_GUARANTEE, "exactly_once");
    s.put(LoraflowConfig.COMMIT_INTERVAL_MS, "100");
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(s))).await();
      Properties p = new Properties();
      p.put("bootstrap.servers", TestBroker.bootstrapServers());
      int n = 500;
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < n; i++) {
          String value = i % 50 == 7 ? "{broken" : new JsonObject().put("id", "x" + i)
              .put("image", images.get(i % images.size()).toString()).encode();
          producer.send(new ProducerRecord<>(in, "x" + i, value));
        }
      }
      List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= n, Duration.ofMinutes(2));
      Map<String, Long> perKey = outs.stream().collect(Collectors.groupingBy(Out::key, Collectors.counting()));
      assertEquals(n, perKey.size(), "every input has an outcome");
      assertEquals(n, outs.size(), "and only one");
      assertEquals(10, outs.stream().filter(o -> o.topic().equals(dlq)).count());
      CommittedOffsets.assertAtEnd(group, in);
    } finally {
      vertx.close().await();
    }
  }
}
