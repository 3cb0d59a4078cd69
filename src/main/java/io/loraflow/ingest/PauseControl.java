package io.loraflow.ingest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure's switch: pauses every assigned partition when the in-flight gate is full and
 * resumes them at its low mark, through the {@link PollLoop} (which applies it on the consumer's
 * thread, new assignments included). Counts pauses and the longest one. Each change is logged
 * at DEBUG: under load it happens many times a second.
 *
 * <p>Concurrency: event loop only.
 */
final class PauseControl {
  private static final Logger LOG = LoggerFactory.getLogger(PauseControl.class);

  private final PollLoop poll;
  private boolean paused;
  private long pausedSinceNanos;
  private long longestPauseNanos;
  private long pauses;

  PauseControl(PollLoop poll) {
    this.poll = poll;
  }

  void pause(int inFlight, int waiting) {
    if (!paused) {
      paused = true;
      pauses++;
      pausedSinceNanos = System.nanoTime();
      LOG.debug("event=partitions_paused inFlight={} waiting={}", inFlight, waiting);
      poll.pause(true);
    }
  }

  void resume(int inFlight) {
    if (paused) {
      paused = false;
      long pausedNanos = System.nanoTime() - pausedSinceNanos;
      longestPauseNanos = Math.max(longestPauseNanos, pausedNanos);
      LOG.debug("event=partitions_resumed inFlight={} pausedMs={}", inFlight, pausedNanos / 1_000_000);
      poll.pause(false);
    }
  }

  boolean paused() {
    return paused;
  }

  long pauses() {
    return pauses;
  }

  long longestPauseMs() {
    return longestPauseNanos / 1_000_000;
  }
}
