package io.loraflow.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.service.ClassifierService;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.OutputCollector;
import io.loraflow.testkit.OutputCollector.Out;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestImages;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One service in share mode on the real broker: records already in the topic are read (the group's
 * share.auto.offset.reset is set to earliest at start), every record gets one outcome carrying its
 * delivery count, and records that another member released before (delivery count 2) are
 * dead-lettered as DELIVERY_LIMIT with share.max.deliveries=1, untried; a poll acquires no more
 * than max.in.flight records.
 */
class ShareIngestTest {
  @TempDir
  Path tmp;

  @Test
  void readsWhatIsThereAndDeadLettersRecordsPastTheDeliveryLimit() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "share-model", 16, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    int released = 20;
    int fresh = 200;
    send(topics.in(), images, 0, released);
    // Another member takes the first records and gives them back unfinished: their next delivery is the 2nd.
    // (Set the group's reset first, as the service would: a new group otherwise starts at the end.)
    ShareGroupSetup.applyAutoOffsetReset(Map.of("bootstrap.servers", TestBroker.bootstrapServers()),
        topics.group(), "earliest", 30_000);
    assertEquals(released, releaseOnce(topics, released));

    Map<String, String> s = topics.settings(model, tmp);
    s.put(LoraflowConfig.GROUP_TYPE, "share");
    s.put(LoraflowConfig.ORDERING, "none");
    s.put(LoraflowConfig.SHARE_MAX_DELIVERIES, "1");
    s.put(LoraflowConfig.MAX_IN_FLIGHT, "16");
    Vertx vertx = Vertx.vertx();
    try {
      ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
      vertx.deployVerticle(service).await();
      send(topics.in(), images, released, fresh);
      int n = released + fresh;
      List<Out> outs = OutputCollector.collectSettled(List.of(topics.out(), topics.dlq()), n, Duration.ofSeconds(2),
          Duration.ofSeconds(60));
      assertEquals(n, outs.size(), "one outcome per record");
      Set<String> limited = new TreeSet<>();
      int results = 0;
      for (Out o : outs) {
        if (o.topic().equals(topics.dlq())) {
          assertEquals("DELIVERY_LIMIT", o.headers().get("loraflow.error.reason"), o.headers().toString());
          // 2, or more where the other member's loop took a released record again before it stopped.
          assertTrue(Integer.parseInt(o.headers().get("loraflow.error.delivery.count")) >= 2, o.headers().toString());
          limited.add(o.key());
        } else {
          assertEquals("1", o.headers().get("loraflow.delivery.count"), o.headers().toString());
          results++;
        }
      }
      assertEquals(released, limited.size(), "the released records: " + limited);
      assertEquals(fresh, results);
      assertTrue(service.metrics().registry().get("loraflow.share.records.acquired").functionCounter().count() >= n);
      assertEquals(16, service.peakInFlight(), "acquired up to max.in.flight at once, no more");
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void workOutlastingTheAcquisitionLockRenewsIt() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "share-model", 16, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    int lockMs = 4_000; // the test broker allows locks below Kafka's 15 s floor
    TestBroker.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, topics.group()),
        List.of(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", Integer.toString(lockMs)),
            AlterConfigOp.OpType.SET)))).all().get();
    Vertx vertx = Vertx.vertx();
    try {
      byte[] png = java.nio.file.Files.readAllBytes(images.get(0));
      // One image takes longer than the lock: without a renewal its record goes back to the group meanwhile.
      HttpServer slow = vertx.createHttpServer().requestHandler(req -> vertx.setTimer(lockMs + 5_000, id ->
          req.response().putHeader("content-type", "image/png").end(Buffer.buffer(png))))
          .listen(0, "127.0.0.1").await();
      Map<String, String> s = topics.settings(model, tmp);
      s.put(LoraflowConfig.GROUP_TYPE, "share");
      s.put(LoraflowConfig.ORDERING, "none");
      s.put(LoraflowConfig.MAX_IN_FLIGHT, "8");
      s.put(LoraflowConfig.FETCH_TIMEOUT_MS, "60000");
      ClassifierService service = new ClassifierService(LoraflowConfig.of(s));
      vertx.deployVerticle(service).await();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          TestBroker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>(topics.in(), "slow", new JsonObject().put("id", "slow")
            .put("image", "http://127.0.0.1:" + slow.actualPort() + "/slow.png").encode()));
      }
      send(topics.in(), images, 0, 20);
      List<Out> outs = OutputCollector.collectSettled(List.of(topics.out(), topics.dlq()), 21, Duration.ofSeconds(3),
          Duration.ofSeconds(60));
      List<Out> slowOuts = outs.stream().filter(o -> "slow".equals(o.key())).toList();
      double renewed = service.metrics().registry().get("loraflow.share.records.renewed").functionCounter().count();
      double failed = service.metrics().registry().get("loraflow.share.acknowledgements.failed").functionCounter()
          .count();
      System.out.printf("renewal: %d outcomes, slow record %s, renewed %.0f, failed acknowledgements %.0f%n",
          outs.size(), slowOuts.stream().map(Out::headers).toList(), renewed, failed);
      assertEquals(1, slowOuts.size(), "one outcome for the slow record: " + slowOuts);
      assertEquals("1", slowOuts.get(0).headers().get("loraflow.delivery.count"), "delivered once");
      assertEquals(21, outs.size());
      assertTrue(renewed >= 1, "the lock was renewed");
      assertEquals(0, failed, "no acknowledgement after the lock ran out");
    } finally {
      vertx.close().await();
    }
  }

  /**
   * In share mode {@code loraflow_consumer_lag} is the group's backlog: with the device held, 100
   * records sit in the group (8 of them acquired here) and the gauge reads 100; once the device
   * runs, it falls to 0. The share consumer's own metrics are bound too.
   */
  @Test
  void theLagIsTheGroupsBacklogAndTheShareConsumersMetricsAreBound() throws Exception {
    List<Path> images = TestImages.write(tmp.resolve("img"), 2);
    Path model = OnnxModels.writePackage(tmp.resolve("model"), "share-model", 16, 0);
    TestBroker.Pipeline topics = TestBroker.pipeline(1);
    Map<String, String> s = topics.settings(model, tmp);
    s.put(LoraflowConfig.GROUP_TYPE, "share");
    s.put(LoraflowConfig.ORDERING, "none");
    s.put(LoraflowConfig.MAX_IN_FLIGHT, "8");
    int n = 100;
    CountDownLatch held = new CountDownLatch(1);
    Vertx vertx = Vertx.vertx();
    try {
      // Every batch waits on a worker for the latch, then runs: the device is busy until the test lets go.
      ClassifierService service = new ClassifierService(LoraflowConfig.of(s), ServiceMetrics.newRegistry(),
          io.opentelemetry.api.OpenTelemetry.noop(), inference -> (task, batch, first, rows) -> vertx.<Void>executeBlocking(() -> {
            held.await();
            return null;
          }, false).compose(v -> inference.run(task, batch, first, rows)));
      vertx.deployVerticle(service).await();
      send(topics.in(), images, 0, n);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (service.peakInFlight() < 8) {
        assertTrue(System.nanoTime() < deadline, "this member acquires 8 of them: " + service.peakInFlight());
        Thread.sleep(100);
      }
      Gauge lag = service.metrics().registry().get("loraflow.consumer.lag").gauge();
      awaitValue(lag, n, Duration.ofSeconds(30));
      held.countDown();
      List<Out> outs = OutputCollector.collectSettled(List.of(topics.out(), topics.dlq()), n, Duration.ofSeconds(2),
          Duration.ofSeconds(60));
      assertEquals(n, outs.size(), "one outcome per record");
      awaitValue(lag, 0, Duration.ofSeconds(30));
      List<String> shareMeters = service.metrics().registry().getMeters().stream().map(m -> m.getId().getName())
          .filter(name -> name.startsWith("kafka.consumer.share")).distinct().sorted().toList();
      System.out.println("share consumer meters: " + shareMeters);
      assertTrue(shareMeters.contains("kafka.consumer.share.fetch.manager.records.consumed.total"), shareMeters.toString());
    } finally {
      held.countDown();
      vertx.close().await();
    }
  }

  private static void awaitValue(Gauge gauge, double expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (gauge.value() != expected) {
      assertTrue(System.nanoTime() < deadline, gauge.getId().getName() + " reads " + gauge.value() + ", not "
          + expected + " within " + timeout);
      Thread.sleep(100);
    }
  }

  /** As a member of the group, acquires records and releases them until {@code n} distinct ones were seen. */
  private static int releaseOnce(TestBroker.Pipeline topics, int n) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", TestBroker.bootstrapServers());
    p.put("group.id", topics.group());
    p.put("share.acknowledgement.mode", "explicit");
    try (KafkaShareConsumer<byte[], byte[]> c = new KafkaShareConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      c.subscribe(List.of(topics.in()));
      Set<Long> seen = new TreeSet<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          c.acknowledge(r, AcknowledgeType.RELEASE);
          seen.add(r.offset());
        }
      }
      c.commitSync();
      return seen.size();
    }
  }

  private static void send(String topic, List<Path> images, int from, int count) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        TestBroker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < from + count; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, new JsonObject().put("id", "k" + i)
            .put("image", images.get(i % 2).toString()).encode()));
      }
    }
  }
}
