package io.loraflow.ingest;

import io.loraflow.offsets.PartitionOffsets;
import io.loraflow.tracing.EventSpan;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * One input record on its way to an outcome, created once at ingest and handed from stage to
 * stage (DJL's {@code Job}). It carries the record's coordinates, key, value and headers exactly
 * as Kafka gave them (any of them may be null), the offset state it was received under (which
 * fences it off from a later assignment of the same partition), and what the stages learn: the
 * parsed request, fetch attempts, timings.
 *
 * <p>Concurrency: event loop only.
 */
public final class Event {
  private final ConsumerRecord<byte[], byte[]> record;
  private final PartitionOffsets partition;
  private final long receivedNanos;
  private ImageRequest request;
  private int attempts = 1;
  private EventSpan span = EventSpan.NONE;

  public Event(ConsumerRecord<byte[], byte[]> record, PartitionOffsets partition) {
    this(record, partition, System.nanoTime());
  }

  private Event(ConsumerRecord<byte[], byte[]> record, PartitionOffsets partition, long receivedNanos) {
    this.record = record;
    this.partition = partition;
    this.receivedNanos = receivedNanos;
  }

  /**
   * An event for one of several requests this record holds (the records of an S3 notification):
   * the same record, offset state and arrival time, with a request and fetch attempts of its own.
   */
  public Event entry() {
    return new Event(record, partition, receivedNanos);
  }

  public String topic() {
    return record.topic();
  }

  public int partition() {
    return record.partition();
  }

  public long offset() {
    return record.offset();
  }

  /** The record's timestamp, or a negative number when it has none. */
  public long timestamp() {
    return record.timestamp();
  }

  /** May be null. */
  public byte[] key() {
    return record.key();
  }

  /** May be null. */
  public byte[] value() {
    return record.value();
  }

  /** The value as a Buffer (null for a null value). */
  public Buffer valueBuffer() {
    return record.value() == null ? null : Buffer.buffer(record.value());
  }

  /** The record's headers as sent; a header's value may be null. */
  public Headers headers() {
    return record.headers();
  }

  /**
   * The headers as text, keys lower-cased, for the request parser; a null value reads as "" and
   * of a repeated key the last one wins.
   */
  public Map<String, String> textHeaders() {
    Map<String, String> out = new HashMap<>();
    for (Header h : record.headers()) {
      byte[] v = h.value();
      out.put(h.key().toLowerCase(Locale.ROOT),
          v == null ? "" : new String(v, java.nio.charset.StandardCharsets.UTF_8));
    }
    return out;
  }

  /**
   * How many times a share group delivered the record, this delivery included; 0 when read
   * through a consumer group (which does not count deliveries).
   */
  public int deliveryCount() {
    return record.deliveryCount().map(Short::intValue).orElse(0);
  }

  /** "topic-partition-offset": the id of a request that names none. */
  public String coordinates() {
    return record.topic() + "-" + record.partition() + "-" + record.offset();
  }

  public PartitionOffsets partitionState() {
    return partition;
  }

  public long receivedNanos() {
    return receivedNanos;
  }

  /** The parsed request, or null before parsing or when it failed. */
  public ImageRequest request() {
    return request;
  }

  public void request(ImageRequest request) {
    this.request = request;
  }

  /** Fetch attempts made so far (1 before any retry). */
  public int attempts() {
    return attempts;
  }

  public void attempts(int attempts) {
    this.attempts = attempts;
  }

  /** The event's trace ({@link EventSpan#NONE} when tracing is off). */
  public EventSpan span() {
    return span;
  }

  public void span(EventSpan span) {
    this.span = span;
  }
}
