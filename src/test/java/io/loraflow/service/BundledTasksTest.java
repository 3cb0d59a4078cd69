package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The bundled tasks through the adapter path on one backbone (models/fashion-mnist with its
 * fashion and digits adapters), interleaved on the same partitions, against each task's merged
 * model run directly (models/fashion-mnist/model.onnx, models/digits/model.onnx).
 */
class BundledTasksTest {
  static final Path FASHION = Path.of("models/fashion-mnist");
  static final Path DIGITS = Path.of("models/digits");

  static List<Path> samples(Path pkg, int n) throws Exception {
    try (Stream<Path> s = Files.list(pkg.resolve("samples"))) {
      return s.filter(p -> p.toString().endsWith(".png")).sorted().limit(n).toList();
    }
  }

  static float[] direct(Path pkg, Path image) throws Exception {
    ModelPackage model = ModelPackage.load(pkg);
    try (InferenceSession s = InferenceSession.open(model, "cpu", 1)) {
      Buffer buf = s.allocate(1);
      new Preprocessor(PreprocessSpec.fromJson(model.preprocess()))
          .writeTo(new ImageDecoder(1_000_000).decode(Files.readAllBytes(image)), buf, 0);
      return s.run(buf, 1)[0];
    }
  }

  @Test
  void eachTaskThroughItsAdapterEqualsItsMergedModel() throws Exception {
    assertTrue(ModelPackage.load(FASHION).multiTask(), "the bundled package serves several tasks");
    List<Path> fashion = samples(FASHION, 30);
    List<Path> digits = samples(DIGITS, 30);
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 2);
    String out = TestBroker.createTopic(TestBroker.uniqueName("out"), 2);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(TestSettings.of(in, out, dlq,
          TestBroker.uniqueName("g"), FASHION, FASHION, DIGITS)))).await();
      Properties p = new Properties();
      p.put("bootstrap.servers", TestBroker.bootstrapServers());
      List<Object[]> sent = new ArrayList<>();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < 60; i++) {
          boolean isDigits = i % 2 == 1;
          Path img = (isDigits ? digits : fashion).get(i / 2);
          String id = "t" + i;
          sent.add(new Object[] {id, isDigits, img});
          // Keys 0/1 alternate partitions; both tasks land on both partitions.
          producer.send(new ProducerRecord<>(in, (i / 2) % 2, id, new JsonObject().put("id", id)
              .put("image", img.toAbsolutePath().toString()).put("task", isDigits ? "digits" : "fashion")
              .put("topK", 10).encode()));
        }
      }
      List<Out> outs = OutputCollector.collect(List.of(out, dlq), o -> o.size() >= 60, Duration.ofMinutes(2));
      assertEquals(60, outs.size());
      Map<String, Out> byId = new java.util.HashMap<>();
      outs.forEach(o -> byId.put(o.key(), o));
      double maxDelta = 0;
      for (Object[] s : sent) {
        Out o = byId.get((String) s[0]);
        assertEquals(out, o.topic(), o.value().encode());
        Path pkg = (Boolean) s[1] ? DIGITS : FASHION;
        TopK.Prediction expected = TopK.of(direct(pkg, (Path) s[2]), true, ModelPackage.load(pkg).labels(), 10);
        assertEquals(expected.labels().get(0), o.value().getJsonArray("labels").getString(0), (String) s[0]);
        for (int k = 0; k < 10; k++) {
          String label = expected.labels().get(k);
          int at = o.value().getJsonArray("labels").getList().indexOf(label);
          maxDelta = Math.max(maxDelta, Math.abs(expected.scores().get(k) - o.value().getJsonArray("scores").getDouble(at)));
        }
      }
      assertTrue(maxDelta <= 1e-4, "max |Δscore| " + maxDelta);
    } finally {
      vertx.close().await();
    }
  }
}
