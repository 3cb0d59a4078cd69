package io.loraflow.tracing;

import io.loraflow.ingest.Event;

/** Starts the {@link EventSpan} of each event; {@link #OFF} when {@code tracing=none}. */
@FunctionalInterface
public interface EventTracer {
  EventTracer OFF = event -> EventSpan.NONE;

  EventSpan start(Event event);
}
