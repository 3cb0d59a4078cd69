package io.loraflow.tracing;

import io.loraflow.ingest.Event;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Spans after OpenTelemetry's messaging conventions: a CONSUMER span "process TOPIC" per event
 * whose parent is the context in the record's headers (W3C traceparent, as the configured
 * propagators read it), so a producer's trace goes on through loraflow.
 */
public final class OtelEventTracer implements EventTracer {
  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  private static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
  private static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
  private static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final String group;

  public OtelEventTracer(OpenTelemetry otel, String group) {
    this.tracer = otel.getTracer("io.loraflow");
    this.propagator = otel.getPropagators().getTextMapPropagator();
    this.group = group;
  }

  @Override
  public EventSpan start(Event event) {
    Context parent = propagator.extract(Context.root(), event.headers(), HEADERS);
    // The span starts when the record was taken in: the wait for an in-flight slot is part of it.
    Instant now = Instant.now();
    long waitedNanos = System.nanoTime() - event.receivedNanos();
    long nowEpochNanos = TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    Span span = tracer.spanBuilder("process " + event.topic())
        .setParent(parent)
        .setSpanKind(SpanKind.CONSUMER)
        .setStartTimestamp(nowEpochNanos - waitedNanos, TimeUnit.NANOSECONDS)
        .setAttribute(SYSTEM, "kafka")
        .setAttribute(OPERATION, "process")
        .setAttribute(DESTINATION, event.topic())
        .setAttribute(PARTITION, Integer.toString(event.partition()))
        .setAttribute(OFFSET, event.offset())
        .setAttribute(GROUP, group)
        .startSpan();
    return new OtelEventSpan(tracer, propagator, parent, span, nowEpochNanos);
  }

  /** Reads Kafka headers as text; of a repeated key the last one wins, as in the request parser. */
  private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      List<String> keys = new ArrayList<>();
      carrier.forEach(h -> keys.add(h.key()));
      return keys;
    }

    @Override
    public String get(Headers carrier, String key) {
      Header h = carrier == null ? null : carrier.lastHeader(key);
      return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
  };
}
