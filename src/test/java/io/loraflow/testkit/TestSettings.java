package io.loraflow.testkit;

import io.loraflow.config.LoraflowConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Service settings for tests: the test broker, given topics and model, a free HTTP port. */
public final class TestSettings {
  private TestSettings() {
  }

  /**
   * A mutable map; files may be read under {@code roots}, 127.0.0.1 may be fetched, commits every
   * 200 ms, HTTP on a free port.
   */
  public static Map<String, String> of(String in, String out, String dlq, String group, Path model,
      Path... roots) {
    Map<String, String> s = base(in, out, dlq, group, model, roots);
    s.put(LoraflowConfig.FETCH_ALLOWED_TARGETS, "127.0.0.1/32");
    s.put(LoraflowConfig.COMMIT_INTERVAL_MS, "200");
    s.put(LoraflowConfig.HTTP_PORT, "0");
    return s;
  }

  /**
   * Tunes {@code s} for service instances run as separate JVMs sharing 2 cores: one inference and
   * one decode thread, batches of 32, {@code maxInFlight}, commits every 100 ms, no HTTP, and a 6 s
   * session timeout so a killed member's partitions move within seconds.
   */
  public static Map<String, String> forServiceProcess(Map<String, String> s, int maxInFlight) {
    s.put(LoraflowConfig.MAX_BATCH_SIZE, "32");
    s.put(LoraflowConfig.MAX_IN_FLIGHT, Integer.toString(maxInFlight));
    s.put(LoraflowConfig.COMMIT_INTERVAL_MS, "100");
    s.put(LoraflowConfig.INFERENCE_THREADS, "1");
    s.put(LoraflowConfig.DECODE_THREADS, "1");
    s.put(LoraflowConfig.HTTP_PORT, "-1");
    s.put(LoraflowConfig.SHUTDOWN_TIMEOUT_MS, "20000");
    s.put("kafka.consumer.session.timeout.ms", "6000");
    s.put("kafka.consumer.heartbeat.interval.ms", "1000");
    return s;
  }

  /** Only the broker, topics, group, model and file roots; every other setting at its default. */
  public static Map<String, String> base(String in, String out, String dlq, String group, Path model,
      Path... roots) {
    Map<String, String> s = new HashMap<>();
    s.put(LoraflowConfig.BOOTSTRAP_SERVERS, TestBroker.bootstrapServers());
    s.put(LoraflowConfig.INPUT_TOPIC, in);
    s.put(LoraflowConfig.OUTPUT_TOPIC, out);
    s.put(LoraflowConfig.DLQ_TOPIC, dlq);
    s.put(LoraflowConfig.GROUP_ID, group);
    s.put(LoraflowConfig.MODEL, model.toString());
    s.put(LoraflowConfig.FETCH_ALLOWED_ROOTS,
        Arrays.stream(roots).map(r -> r.toAbsolutePath().toString()).collect(Collectors.joining(",")));
    return s;
  }
}
