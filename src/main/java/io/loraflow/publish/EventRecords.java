package io.loraflow.publish;

import io.loraflow.error.StageException;
import io.loraflow.ingest.Event;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the output records. A result (schemas/classification-result.schema.json) keeps the
 * input's key and its trace context headers ({@link #TRACE_HEADERS}), so a trace goes on past the
 * service. A dead letter follows Kafka Connect's dead-letter-queue convention: the original
 * key, value and headers unchanged, plus {@code loraflow.error.*} headers that say why
 * (schemas/dead-letter.schema.json) — so a dead letter is never larger than its record plus those
 * headers, and replaying one is producing it back to the input topic.
 */
public final class EventRecords {
  public static final String H_PREFIX = "loraflow.error.";
  public static final String H_REASON = "loraflow.error.reason";
  public static final String H_MESSAGE = "loraflow.error.message";
  public static final String H_STAGE = "loraflow.error.stage";
  public static final String H_ATTEMPTS = "loraflow.error.attempts";
  public static final String H_ID = "loraflow.error.id";
  public static final String H_TIMESTAMP = "loraflow.error.timestamp";
  public static final String H_TOPIC = "loraflow.error.source.topic";
  public static final String H_PARTITION = "loraflow.error.source.partition";
  public static final String H_OFFSET = "loraflow.error.source.offset";
  /** Share groups only: the delivery count of the record (a result carries it as {@link #H_DELIVERIES}). */
  public static final String H_DELIVERY_COUNT = "loraflow.error.delivery.count";
  /** Share groups only: on a result, the input record's delivery count (1 unless it was redelivered). */
  public static final String H_DELIVERIES = "loraflow.delivery.count";
  /** Set (to the value's size in bytes) when the value had to be left out to fit the producer's limit. */
  public static final String H_VALUE_OMITTED = "loraflow.error.value.omitted.bytes";

  /** W3C Trace Context and Baggage headers, as OpenTelemetry's Kafka instrumentation writes them. */
  public static final List<String> TRACE_HEADERS = List.of("traceparent", "tracestate", "baggage");

  /** Record-batch and record framing added to key, value and headers (an upper bound). */
  private static final int FRAMING_BYTES = 128;

  private EventRecords() {
  }

  public static ProducerRecord<byte[], byte[]> result(String topic, Event input, byte[] json) {
    RecordHeaders headers = new RecordHeaders();
    for (Header h : input.headers()) {
      if (TRACE_HEADERS.contains(h.key().toLowerCase(Locale.ROOT))) {
        headers.add(h);
      }
    }
    if (input.deliveryCount() > 0) {
      add(headers, H_DELIVERIES, Integer.toString(input.deliveryCount()));
    }
    return new ProducerRecord<>(topic, null, null, input.key(), json, headers);
  }

  /** The dead letter of {@code input}; {@code keepValue} false leaves the value out (too large). */
  public static ProducerRecord<byte[], byte[]> deadLetter(String topic, Event input, StageException error,
      boolean keepValue) {
    RecordHeaders headers = new RecordHeaders();
    for (Header h : input.headers()) {
      if (!h.key().startsWith(H_PREFIX)) { // a replayed dead letter's old error is replaced
        headers.add(h.key(), h.value());
      }
    }
    String id = input.request() != null ? input.request().id() : null;
    if (id != null) {
      add(headers, H_ID, id);
    }
    add(headers, H_REASON, error.reason().name());
    add(headers, H_MESSAGE, truncate(String.valueOf(error.getMessage()), 1000));
    add(headers, H_STAGE, error.reason().stage().name().toLowerCase(Locale.ROOT));
    add(headers, H_ATTEMPTS, Integer.toString(input.attempts()));
    add(headers, H_TOPIC, input.topic());
    add(headers, H_PARTITION, Integer.toString(input.partition()));
    add(headers, H_OFFSET, Long.toString(input.offset()));
    add(headers, H_TIMESTAMP, Instant.now().toString());
    if (input.deliveryCount() > 0) {
      add(headers, H_DELIVERY_COUNT, Integer.toString(input.deliveryCount()));
    }
    byte[] value = input.value();
    if (!keepValue && value != null) {
      add(headers, H_VALUE_OMITTED, Integer.toString(value.length));
      value = null;
    }
    return new ProducerRecord<>(topic, null, null, input.key(), value, headers);
  }

  /** An upper bound of the record's size on the wire, to compare with {@code max.request.size}. */
  public static int sizeOf(ProducerRecord<byte[], byte[]> r) {
    long size = FRAMING_BYTES + length(r.key()) + length(r.value());
    for (Header h : r.headers()) {
      size += h.key().length() * 3L + length(h.value()) + 10;
    }
    return (int) Math.min(Integer.MAX_VALUE, size);
  }

  private static int length(byte[] b) {
    return b == null ? 0 : b.length;
  }

  private static void add(RecordHeaders headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
