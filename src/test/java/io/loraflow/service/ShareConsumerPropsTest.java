package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.ConfigException;
import io.loraflow.config.LoraflowConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The share consumer's properties: what the service depends on, and the user's on top. */
class ShareConsumerPropsTest {
  private static final Map<String, String> SHARE = Map.of("group.type", "share", "ordering", "none",
      "max.in.flight", "48");

  @Test
  void acquiresNoMoreThanTheInFlightLimitAndAcknowledgesExplicitly() {
    Map<String, Object> p = KafkaClients.shareConsumer(LoraflowConfig.of(SHARE));
    assertEquals("explicit", p.get("share.acknowledgement.mode"));
    assertEquals("record_limit", p.get("share.acquire.mode"));
    assertEquals("48", p.get("max.poll.records"));
    assertFalse(p.containsKey("auto.offset.reset"), "a share consumer refuses consumer-group settings: " + p);
    assertFalse(p.containsKey("enable.auto.commit"), p.toString());
  }

  @Test
  void refusesImplicitAcknowledgement() {
    Map<String, String> s = new java.util.HashMap<>(SHARE);
    s.put("kafka.consumer.share.acknowledgement.mode", "implicit");
    ConfigException e = assertThrows(ConfigException.class, () -> KafkaClients.shareConsumer(LoraflowConfig.of(s)));
    assertTrue(e.getMessage().contains("share.acknowledgement.mode") && e.getMessage().contains("explicit"),
        e.getMessage());
  }
}
