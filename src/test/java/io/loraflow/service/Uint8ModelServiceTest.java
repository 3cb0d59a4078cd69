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
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service serving a uint8-input package (manifest {@code input.dtype: uint8}, normalisation
 * in the graph): 32 images sent at once, so batches of several byte rows form, answer with the
 * labels and scores that the float32 package it was made from gives to the same images.
 */
class Uint8ModelServiceTest {
  private static final Path FLOAT32 = Path.of("models/fashion-mnist");
  private static final Path UINT8 = Path.of("src/test/resources/models/fashion-mnist-uint8-fp32");

  @TempDir
  Path tmp;

  @Test
  void aUint8PackageAnswersAsItsFloat32Original() throws Exception {
    List<Path> images;
    try (Stream<Path> s = Files.list(FLOAT32.resolve("samples"))) {
      images = s.filter(p -> p.toString().endsWith(".png")).sorted().limit(32).toList();
    }
    List<JsonObject> expected = float32Results(images);

    Map<String, String> settings = TestSettings.of(TestBroker.createTopic(TestBroker.uniqueName("in"), 1),
        TestBroker.createTopic(TestBroker.uniqueName("out"), 1), TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1),
        TestBroker.uniqueName("g"), UINT8, tmp);
    Vertx vertx = Vertx.vertx();
    try {
      ClassifierService service = new ClassifierService(LoraflowConfig.of(settings));
      vertx.deployVerticle(service).await();
      WebClient client = WebClient.create(vertx);
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (Path image : images) {
        answers.add(client.post(service.httpPort(), "127.0.0.1", "/v1/classify").putHeader("content-type", "image/png")
            .sendBuffer(io.vertx.core.buffer.Buffer.buffer(Files.readAllBytes(image))).map(r -> r.bodyAsJsonObject()));
      }
      int largestBatch = 0;
      for (int i = 0; i < images.size(); i++) {
        JsonObject got = answers.get(i).await();
        largestBatch = Math.max(largestBatch, got.getInteger("batchSize"));
        assertEquals(expected.get(i).getString("label"), got.getJsonArray("labels").getString(0), images.get(i).toString());
        assertEquals(expected.get(i).getDouble("score"), got.getJsonArray("scores").getDouble(0), 1e-5);
      }
      assertTrue(largestBatch > 1, "rows at offsets in a shared byte tensor: largest batch " + largestBatch);
    } finally {
      vertx.close().await();
    }
  }

  /** Top label and score of each image through the float32 package, run directly. */
  private static List<JsonObject> float32Results(List<Path> images) throws Exception {
    ModelPackage model = ModelPackage.load(FLOAT32);
    Preprocessor pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    List<JsonObject> out = new ArrayList<>();
    try (InferenceSession session = InferenceSession.open(model, "cpu", 1)) {
      Buffer buf = session.allocate(1);
      for (Path image : images) {
        pre.writeTo(new ImageDecoder(1_000_000).decode(Files.readAllBytes(image)), buf, 0);
        TopK.Prediction top = TopK.of(session.run(buf, 1)[0], model.outputIsLogits(), model.labels(), 1);
        out.add(new JsonObject().put("label", top.labels().get(0)).put("score", top.scores().get(0)));
      }
    }
    return out;
  }
}
