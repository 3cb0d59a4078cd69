package io.loraflow.bench;

import io.loraflow.image.DecodedImage;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.nio.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The plain poll-loop baseline (issue 13): what a user writes in an afternoon. One thread, plain
 * kafka-clients: {@code poll} → for each record parse the JSON, read the file and
 * {@code ImageIO.read} it → the model package's preprocessing ({@link Preprocessor}, the service's
 * own) → one ORT run per chunk of up to {@code batch} records ({@link InferenceSession}, the bare-ORT
 * case's options) → {@code send} of a small JSON result per event → {@code flush} →
 * {@code commitAsync}. Client defaults (acks=all, idempotent), no schema validation, no dead
 * letters (a bad record would end the loop), no ordering beyond Kafka's own, no backpressure.
 */
final class PlainLoop implements AutoCloseable {
  private final ModelPackage model;
  private final InferenceSession session;
  private final Preprocessor pre;
  private final int batch;
  private final Thread thread;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final String out;
  private volatile boolean stop;
  private volatile Throwable failure;

  PlainLoop(Path modelDir, int threads, int batch, String bootstrap, String in, String out, String group) {
    this.model = ModelPackage.load(modelDir);
    this.session = InferenceSession.open(model, "cpu", threads, batch);
    this.pre = new Preprocessor(PreprocessSpec.fromJson(model.preprocess()));
    this.batch = batch;
    this.out = out;
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("group.id", group);
    c.put("enable.auto.commit", "false");
    c.put("auto.offset.reset", "earliest");
    consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(in));
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    thread = new Thread(this::loop, "bench-plain-loop");
    thread.setDaemon(true);
  }

  PlainLoop start() {
    thread.start();
    return this;
  }

  private void loop() {
    Buffer input = session.allocate(batch);
    List<ConsumerRecord<byte[], byte[]>> chunk = new ArrayList<>(batch);
    try {
      while (!stop) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
          chunk.add(r);
          if (chunk.size() == batch) {
            classify(chunk, input);
          }
        }
        if (!chunk.isEmpty()) {
          classify(chunk, input);
        }
        producer.flush();
        consumer.commitAsync();
      }
    } catch (Throwable t) {
      failure = t;
    }
  }

  private void classify(List<ConsumerRecord<byte[], byte[]>> chunk, Buffer input) throws Exception {
    String[] ids = new String[chunk.size()];
    for (int i = 0; i < chunk.size(); i++) {
      JsonObject req = new JsonObject(new String(chunk.get(i).value(), StandardCharsets.UTF_8));
      ids[i] = req.getString("id");
      pre.writeTo(rgb(ImageIO.read(Path.of(req.getString("image")).toFile())), input, i * model.sampleValues());
    }
    float[][] rows = session.run(input, chunk.size());
    for (int i = 0; i < chunk.size(); i++) {
      TopK.Prediction top = TopK.of(rows[i], model.outputIsLogits(), model.labels(), 1);
      byte[] value = new JsonObject().put("id", ids[i]).put("label", top.labels().get(0))
          .put("score", top.scores().get(0)).encode().getBytes(StandardCharsets.UTF_8);
      producer.send(new ProducerRecord<>(out, chunk.get(i).key(), value));
    }
    chunk.clear();
  }

  /** BufferedImage → 8-bit interleaved RGB, the afternoon way (getRGB, any source type). */
  private static DecodedImage rgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    byte[] px = new byte[w * h * 3];
    for (int i = 0; i < argb.length; i++) {
      px[3 * i] = (byte) (argb[i] >> 16);
      px[3 * i + 1] = (byte) (argb[i] >> 8);
      px[3 * i + 2] = (byte) argb[i];
    }
    return new DecodedImage(w, h, 3, px);
  }

  /** The loop's failure, if it stopped on one. */
  Throwable failure() {
    return failure;
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(10_000);
    consumer.close(Duration.ofSeconds(2));
    producer.close(Duration.ofSeconds(2));
    session.close();
  }
}
