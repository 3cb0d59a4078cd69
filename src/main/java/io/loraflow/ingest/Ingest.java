package io.loraflow.ingest;

import io.vertx.core.Future;

/**
 * The input side of the service as the rest of it sees it: records of the input topic become
 * {@link Event}s for the one pipeline, within the in-flight limit. {@link RecordIngest} reads
 * through a consumer group (positions committed per partition); the share package's
 * {@code ShareIngest} through a share group (each record acknowledged on its own).
 *
 * <p>Concurrency: event loop only.
 */
public interface Ingest {
  /** Completes once the consumer is made and subscribed. */
  Future<Void> start();

  /**
   * Stops taking records, waits up to {@code timeoutMs} for started events to get their outcome,
   * settles what is done (commit or acknowledge) and closes the consumer.
   */
  Future<Void> stop(long timeoutMs);

  /** Events started and not yet published. */
  int processing();

  /** Events holding an in-flight slot. */
  int inFlight();

  /** Records read that wait for an in-flight slot. */
  int waiting();

  /** Records behind the log end that this instance has yet to read, as far as it can tell. */
  long lag();

  /** True once the consumer has joined its group. */
  boolean joined();

  /** Partitions paused for backpressure right now (a share group never pauses). */
  int pausedPartitions();
}
