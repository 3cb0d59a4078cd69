package io.loraflow.service;

import io.loraflow.config.LoraflowConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Kafka client properties: the service's defaults for its delivery contract, then the user's
 * {@code kafka.consumer.*} / {@code kafka.producer.*} pass-through on top.
 */
public final class KafkaClients {
  private KafkaClients() {
  }

  public static Map<String, String> consumer(LoraflowConfig config) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.put("group.id", config.getString(LoraflowConfig.GROUP_ID));
    p.put("key.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer");
    p.put("value.deserializer", "io.vertx.kafka.client.serialization.BufferDeserializer");
    // Offsets are committed by the service, only for published events.
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    // Small per-partition fetches: the consumer hands records out partition by partition, one
    // buffered fetch at a time, so a big fetch of one partition starves the others while it is
    // worked off. 32 KiB slices (~200 small records) keep the assigned partitions interleaved.
    p.put("max.partition.fetch.bytes", "32768");
    p.put("partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    if (exactlyOnce(config)) {
      // Upstream transactions: only read what was committed.
      p.put("isolation.level", "read_committed");
    }
    p.putAll(config.kafka("consumer"));
    return p;
  }

  public static Map<String, String> producer(LoraflowConfig config) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.put("key.serializer", "io.vertx.kafka.client.serialization.BufferSerializer");
    p.put("value.serializer", "io.vertx.kafka.client.serialization.BufferSerializer");
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("linger.ms", "5");
    if (exactlyOnce(config)) {
      String id = config.getString(LoraflowConfig.TRANSACTIONAL_ID);
      p.put("transactional.id", id.isBlank()
          ? config.getString(LoraflowConfig.GROUP_ID) + "-" + UUID.randomUUID() : id);
      // A crashed instance's open transaction holds read_committed consumers back this long.
      p.put("transaction.timeout.ms", "10000");
    }
    p.putAll(config.kafka("producer"));
    return p;
  }

  public static boolean exactlyOnce(LoraflowConfig config) {
    return config.getString(LoraflowConfig.PROCESSING_GUARANTEE).equals("exactly_once");
  }

  public static Map<String, String> admin(LoraflowConfig config) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.putAll(config.kafka("admin"));
    return p;
  }
}
