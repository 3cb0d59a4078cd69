package io.loraflow.tracing;

import io.loraflow.error.Reason;
import io.loraflow.inference.Classification;
import org.apache.kafka.common.header.Headers;

/**
 * The trace of one event: a consumer span from ingest to outcome, its stages as child spans, and
 * the producer span of the result. {@link #NONE} when tracing is off, so the pipeline calls it
 * unconditionally.
 *
 * <p>Concurrency: event loop.
 */
public interface EventSpan {
  EventSpan NONE = new EventSpan() {
  };

  /** Records fetch, decode, queue and inference as child spans, from the classifier's timings. */
  default void classified(Classification.Timings timings) {
  }

  /**
   * Starts the producer span of the outcome sent now and writes its context into {@code into}
   * (replacing a copied traceparent/tracestate), so the trace goes on from it; {@code into} null
   * leaves the record's headers as they are (a dead letter keeps the input's).
   */
  default void sending(String topic, Headers into) {
  }

  /** The send started last was acknowledged ({@code failure} null) or refused. */
  default void sent(Throwable failure) {
  }

  /** The outcome is a dead letter for {@code reason}: the span's status is an error. */
  default void deadLettered(Reason reason, String message) {
  }

  /** Ends the span; {@code failure} when the event got no outcome (it will be read again). */
  default void end(Throwable failure) {
  }
}
