package io.loraflow.tracing;

import io.loraflow.error.Reason;
import io.loraflow.inference.Classification;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;

/** One event's spans (see {@link OtelEventTracer}). */
final class OtelEventSpan implements EventSpan {
  static final AttributeKey<String> REASON = AttributeKey.stringKey("loraflow.error.reason");

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final Span span;
  /** The input's context (its baggage included) with {@link #span} in it. */
  private final Context context;
  /** Epoch nanoseconds at which classification started; the stage spans are laid out from here. */
  private final long classifyStartEpochNanos;
  private Span send;

  OtelEventSpan(Tracer tracer, TextMapPropagator propagator, Context parent, Span span,
      long classifyStartEpochNanos) {
    this.tracer = tracer;
    this.propagator = propagator;
    this.span = span;
    this.context = parent.with(span);
    this.classifyStartEpochNanos = classifyStartEpochNanos;
  }

  @Override
  public void classified(Classification.Timings t) {
    // The stages ran one after the other; their spans are drawn from the measured durations.
    long at = classifyStartEpochNanos;
    at = stage("fetch", at, t.fetchNanos());
    at = stage("decode", at, t.decodeNanos());
    at = stage("queue", at, t.queueNanos());
    stage("inference", at, t.inferenceNanos());
  }

  private long stage(String name, long startEpochNanos, long nanos) {
    tracer.spanBuilder(name)
        .setParent(context)
        .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
        .startSpan()
        .end(startEpochNanos + nanos, TimeUnit.NANOSECONDS);
    return startEpochNanos + nanos;
  }

  @Override
  public void sending(String topic, Headers into) {
    send = tracer.spanBuilder("send " + topic)
        .setParent(context)
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute(OtelEventTracer.SYSTEM, "kafka")
        .setAttribute(OtelEventTracer.OPERATION, "send")
        .setAttribute(OtelEventTracer.DESTINATION, topic)
        .startSpan();
    if (into != null) {
      propagator.fields().forEach(into::remove);
      propagator.inject(context.with(send), into, (h, k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Override
  public void sent(Throwable failure) {
    if (send == null) {
      return;
    }
    if (failure != null) {
      send.setStatus(StatusCode.ERROR, failure.toString());
    }
    send.end();
    send = null;
  }

  @Override
  public void deadLettered(Reason reason, String message) {
    span.setAttribute(REASON, reason.name());
    span.setStatus(StatusCode.ERROR, message);
  }

  @Override
  public void end(Throwable failure) {
    if (failure != null) {
      span.setStatus(StatusCode.ERROR, "no outcome: " + failure);
    }
    span.end();
  }
}
