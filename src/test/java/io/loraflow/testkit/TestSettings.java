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

  /** A mutable map; files may be read under {@code roots}, and 127.0.0.1 may be fetched. */
  public static Map<String, String> of(String in, String out, String dlq, String group, Path model,
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
    s.put(LoraflowConfig.FETCH_ALLOWED_TARGETS, "127.0.0.1/32");
    s.put(LoraflowConfig.COMMIT_INTERVAL_MS, "200");
    s.put(LoraflowConfig.HTTP_PORT, "0");
    return s;
  }
}
