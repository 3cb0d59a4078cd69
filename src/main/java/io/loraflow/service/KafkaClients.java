package io.loraflow.service;

import io.loraflow.config.KafkaProperties.Client;
import io.loraflow.config.LoraflowConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Kafka client properties: the service's defaults for its delivery contract and throughput, then
 * the user's Kafka properties on top ({@code kafka.*}, then {@code kafka.consumer.*} etc.; the
 * user always wins). Keys and values are raw bytes: the service reads and writes them unchanged.
 */
public final class KafkaClients {
  /** The producer's default {@code max.request.size}. */
  private static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

  private KafkaClients() {
  }

  public static Map<String, Object> consumer(LoraflowConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.put("group.id", config.getString(LoraflowConfig.GROUP_ID));
    // Offsets are committed by the service, only for published events.
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    // The consumer hands out one partition's buffered fetch before the next partition's, so a
    // big per-partition fetch starves the other partitions while it is worked off (seen: 30 s
    // gaps on one of six partitions at 256 KiB). 64 KiB (~400 small requests) keeps the assigned
    // partitions interleaved and still fills a poll.
    p.put("max.partition.fetch.bytes", "65536");
    p.put("max.poll.records", "500");
    if (exactlyOnce(config)) {
      // Upstream transactions: only read what was committed.
      p.put("isolation.level", "read_committed");
    }
    Map<String, String> user = config.kafka(Client.CONSUMER);
    String protocol = user.getOrDefault("group.protocol", "classic").toLowerCase(Locale.ROOT);
    if (protocol.equals("classic")) {
      // The classic protocol's client-side assignor; KIP-848's "consumer" protocol assigns on
      // the broker (incrementally, like this one) and refuses the setting.
      p.put("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    }
    p.putAll(user);
    return p;
  }

  /**
   * The share consumer of {@code group.type=share}: explicit acknowledgement (a record is accepted
   * only once its outcome is published) and {@code record_limit} acquisition of at most
   * {@code max.in.flight} records a poll (Kafka's default may acquire a whole fetched batch, so one
   * member takes nearly everything). The user's {@code kafka.consumer.*} go on top, except the
   * acknowledgement mode, which the service depends on.
   */
  public static Map<String, Object> shareConsumer(LoraflowConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.put("group.id", config.getString(LoraflowConfig.GROUP_ID));
    p.put("share.acquire.mode", "record_limit");
    p.put("max.poll.records", Integer.toString(config.getInt(LoraflowConfig.MAX_IN_FLIGHT)));
    Map<String, String> user = config.kafka(Client.CONSUMER);
    String mode = user.getOrDefault("share.acknowledgement.mode", "explicit");
    if (!mode.equalsIgnoreCase("explicit")) {
      throw new io.loraflow.config.ConfigException("kafka.consumer.share.acknowledgement.mode", mode,
          "group.type=share acknowledges each record after its outcome is published: leave it explicit");
    }
    p.putAll(user);
    p.put("share.acknowledgement.mode", "explicit");
    return p;
  }

  public static Map<String, Object> producer(LoraflowConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    p.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    // Outcomes go out in batches: 5 ms of linger and 64 KiB batches carry hundreds of results in
    // one produce request instead of one request each.
    p.put("linger.ms", "5");
    p.put("batch.size", "65536");
    if (exactlyOnce(config)) {
      String id = config.getString(LoraflowConfig.TRANSACTIONAL_ID);
      p.put("transactional.id", id.isBlank()
          ? config.getString(LoraflowConfig.GROUP_ID) + "-" + UUID.randomUUID() : id);
      // A crashed instance's open transaction holds read_committed consumers back this long.
      p.put("transaction.timeout.ms", "10000");
    } else {
      // The idempotent producer retries in order until the record lands; a send the service had
      // to repeat itself after a timeout could land twice and out of order.
      p.put("delivery.timeout.ms", Integer.toString(Integer.MAX_VALUE));
    }
    p.putAll(config.kafka(Client.PRODUCER));
    return p;
  }

  /** The producer's {@code max.request.size}: outcomes larger than this are not sent as they are. */
  public static int maxRequestSize(Map<String, Object> producer) {
    Object v = producer.get("max.request.size");
    return v == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(v.toString().trim());
  }

  public static boolean exactlyOnce(LoraflowConfig config) {
    return config.getString(LoraflowConfig.PROCESSING_GUARANTEE).equals("exactly_once");
  }

  public static Map<String, String> admin(LoraflowConfig config) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", config.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    p.putAll(config.kafka(Client.ADMIN));
    return p;
  }
}
