package io.loraflow.demo;

import io.loraflow.broker.EmbeddedKafka;
import io.loraflow.broker.Topics;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.inference.ModelPackage;
import io.loraflow.service.ClassifierService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code loraflow demo}: an embedded Kafka broker, the service with the bundled model, and the
 * model package's labelled sample images sent as every kind of reference (file: URI, plain path,
 * data: URI, http:// from a local server, raw bytes). Prints each result as it arrives and a
 * summary; exits 0 when every event got an outcome. Nothing leaves the loopback interface.
 */
public final class Demo {
  private static final String INPUT = "images";
  private static final String OUTPUT = "classifications";
  private static final String DLQ = "classifications.dlq";

  private Demo() {
  }

  /**
   * Runs the demo with the package at {@code modelDir}; {@code events} null sends one and a half
   * times its samples (three times with other tasks); the dashboard listens on {@code httpPort}.
   * {@code share}: three instances in one share group read a 1-partition input (the first serves
   * the dashboard), instead of one instance in a consumer group on three partitions.
   */
  public static int run(Path modelDir, Integer events, int httpPort, boolean share) throws Exception {
    if (!Files.isRegularFile(modelDir.resolve("manifest.json"))) {
      System.err.println("demo: no model package at " + modelDir.toAbsolutePath()
          + " (run from the repository root, or pass --model DIR)");
      return 2;
    }
    SampleSet samples = SampleSet.load(modelDir);
    // Other tasks of a multi-task package, with labelled samples in a sibling package (the bundled
    // digits task: models/digits/samples): every third event asks for one of them.
    Map<String, SampleSet> taskSamples = new java.util.TreeMap<>();
    for (String task : ModelPackage.load(modelDir).tasks().keySet()) {
      Path dir = modelDir.toAbsolutePath().getParent().resolve(task);
      if (!dir.equals(modelDir.toAbsolutePath()) && Files.isRegularFile(dir.resolve("samples/labels.csv"))) {
        taskSamples.put(task, SampleSet.load(dir));
      }
    }
    int count = events != null ? events : samples.samples().size() * (taskSamples.isEmpty() ? 1 : 3) / 2;

    System.out.println("demo: starting an embedded Kafka broker…");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        Topics.createAndAwait(admin, List.of(new NewTopic(INPUT, share ? 1 : 3, (short) 1),
            new NewTopic(OUTPUT, 3, (short) 1), new NewTopic(DLQ, 1, (short) 1)));
      }
      Vertx vertx = Vertx.vertx();
      try {
        HttpServer http = serveSamples(vertx, samples.dir());
        Map<String, String> settings = new HashMap<>(Map.of(
            LoraflowConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
            LoraflowConfig.INPUT_TOPIC, INPUT, LoraflowConfig.OUTPUT_TOPIC, OUTPUT,
            LoraflowConfig.DLQ_TOPIC, DLQ, LoraflowConfig.GROUP_ID, "loraflow-demo",
            LoraflowConfig.MODEL, modelDir.toString(),
            LoraflowConfig.FETCH_ALLOWED_ROOTS, samples.dir() + taskSamples.values().stream()
                .map(t -> "," + t.dir()).collect(java.util.stream.Collectors.joining()),
            LoraflowConfig.FETCH_ALLOWED_TARGETS, "127.0.0.1/32",
            LoraflowConfig.HTTP_PORT, String.valueOf(httpPort)));
        if (share) {
          settings.put(LoraflowConfig.GROUP_TYPE, "share");
          settings.put(LoraflowConfig.ORDERING, "none");
          settings.put(LoraflowConfig.MAX_IN_FLIGHT, "32"); // small polls: the records spread over the three
        }
        System.out.println("demo: loading the model " + modelDir + " and joining the group…");
        List<ClassifierService> services = new java.util.ArrayList<>();
        for (int i = 0; i < (share ? 3 : 1); i++) {
          ClassifierService service = new ClassifierService(LoraflowConfig.of(settings));
          vertx.deployVerticle(service).await();
          services.add(service);
          settings.put(LoraflowConfig.HTTP_PORT, "-1"); // one dashboard
        }
        System.out.println("demo: dashboard at http://127.0.0.1:" + services.get(0).httpPort() + "/");
        long start = System.nanoTime();
        Map<String, String> truth = publish(kafka.bootstrapServers(), samples, taskSamples, count,
            http.actualPort());
        int status = collect(kafka.bootstrapServers(), truth, start);
        if (share) {
          System.out.println("demo: outcomes per instance of the share group: " + services.stream()
              .map(s -> s.metrics().results() + s.metrics().deadLetters()).toList());
        }
        return status;
      } finally {
        vertx.close().await();
      }
    }
  }

  /** Serves {@code dir}'s files at /samples/NAME on a free loopback port (flat names only). */
  private static HttpServer serveSamples(Vertx vertx, Path dir) {
    return vertx.createHttpServer().requestHandler(req -> {
      String name = req.path().replaceFirst("^/samples/", "");
      if (!name.matches("[A-Za-z0-9._-]+") || !Files.isRegularFile(dir.resolve(name))) {
        req.response().setStatusCode(404).end();
        return;
      }
      req.response().putHeader("content-type", "image/png").sendFile(dir.resolve(name).toString());
    }).listen(0, "127.0.0.1").await();
  }

  /**
   * Sends the events, rotating through the reference kinds and, every third event, the other
   * tasks; returns id → true label.
   */
  private static Map<String, String> publish(String bootstrap, SampleSet samples,
      Map<String, SampleSet> taskSamples, int events, int httpPort) throws Exception {
    Map<String, String> truth = new HashMap<>();
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<String> tasks = List.copyOf(taskSamples.keySet());
      for (int i = 0; i < events; i++) {
        String id = String.format("demo-%04d", i);
        if (!tasks.isEmpty() && i % 3 == 2) {
          String task = tasks.get((i / 3) % tasks.size());
          List<SampleSet.Sample> set = taskSamples.get(task).samples();
          SampleSet.Sample s = set.get((i / 3) % set.size());
          truth.put(id, s.label());
          JsonObject json = new JsonObject().put("id", id).put("task", task).put("topK", 3)
              .put("image", i % 2 == 0 ? s.file().toString() : "data:image/png;base64,"
                  + Base64.getEncoder().encodeToString(Files.readAllBytes(s.file())));
          producer.send(new ProducerRecord<>(INPUT, id.getBytes(StandardCharsets.UTF_8), json.toBuffer().getBytes()));
          continue;
        }
        SampleSet.Sample s = samples.samples().get(i % samples.samples().size());
        truth.put(id, s.label());
        String name = s.file().getFileName().toString();
        ProducerRecord<byte[], byte[]> record;
        switch (i % 5) {
          case 0 -> record = request(id, s.file().toUri().toString());
          case 1 -> record = request(id, s.file().toString());
          case 2 -> record = request(id, "data:image/png;base64,"
              + Base64.getEncoder().encodeToString(Files.readAllBytes(s.file())));
          case 3 -> record = request(id, "http://127.0.0.1:" + httpPort + "/samples/" + name);
          default -> {
            record = new ProducerRecord<>(INPUT, id.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(s.file()));
            record.headers().add("content-type", "image/png".getBytes(StandardCharsets.UTF_8));
            record.headers().add("id", id.getBytes(StandardCharsets.UTF_8));
          }
        }
        producer.send(record);
      }
      producer.flush();
    }
    System.out.printf("demo: published %d image requests (file:, path, data:, http://, raw bytes)%s%n", events,
        taskSamples.isEmpty() ? "" : ", every third one for task " + String.join("/", taskSamples.keySet()));
    return truth;
  }

  private static ProducerRecord<byte[], byte[]> request(String id, String image) {
    JsonObject json = new JsonObject().put("id", id).put("image", image).put("topK", 3);
    return new ProducerRecord<>(INPUT, id.getBytes(StandardCharsets.UTF_8), json.toBuffer().getBytes());
  }

  private static int collect(String bootstrap, Map<String, String> truth, long start) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "demo-reader");
    p.put("auto.offset.reset", "earliest");
    int results = 0;
    int deadLetters = 0;
    Map<String, int[]> perTask = new java.util.TreeMap<>(); // task → {correct, results}
    Map<String, Boolean> seen = new HashMap<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(OUTPUT, DLQ));
      while (seen.size() < truth.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          JsonObject json = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
          String id = json.getString("id");
          if (id == null || seen.put(id, true) != null) {
            continue;
          }
          if (r.topic().equals(DLQ)) {
            deadLetters++;
            System.out.printf("[%4d/%d] %s  DEAD LETTER %s: %s%n", seen.size(), truth.size(), id,
                json.getString("reason"), json.getString("message"));
            continue;
          }
          results++;
          String label = json.getJsonArray("labels").getString(0);
          String task = json.getJsonObject("model").getString("task", "default");
          boolean ok = label.equals(truth.get(id));
          int[] counts = perTask.computeIfAbsent(task, t -> new int[2]);
          counts[0] += ok ? 1 : 0;
          counts[1]++;
          System.out.printf("[%4d/%d] %s %-8s truth=%-12s → %-12s %.3f %s  (batch %d, %.1f ms)%n", seen.size(),
              truth.size(), id, task, truth.get(id), label, json.getJsonArray("scores").getDouble(0),
              ok ? "✓" : "✗", json.getInteger("batchSize"), json.getJsonObject("timingsMs").getDouble("total"));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println();
    System.out.printf("summary: %d events, %d results, %d dead letters, %d missing%n", truth.size(),
        results, deadLetters, truth.size() - seen.size());
    perTask.forEach((task, c) -> System.out.printf("summary: task %s accuracy %.1f%% (%d/%d against the known labels)%n",
        task, 100.0 * c[0] / c[1], c[0], c[1]));
    System.out.printf("summary: %.1f events/s end to end (%.1f s, including fetch, decode and publish)%n",
        truth.size() / seconds, seconds);
    return seen.size() == truth.size() ? 0 : 1;
  }
}
