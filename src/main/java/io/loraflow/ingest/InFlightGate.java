package io.loraflow.ingest;

/**
 * Counts events between ingest and publish against {@code max.in.flight}, with hysteresis: the
 * ingest pauses its partitions at the high mark and resumes them at half of it, so pause/resume
 * does not flap on every event. Event loop only.
 */
public final class InFlightGate {
  private final int high;
  private final int low;
  private int inFlight;
  private int peak;

  public InFlightGate(int maxInFlight) {
    this.high = maxInFlight;
    this.low = maxInFlight / 2;
  }

  /** True when another event may start now. */
  public boolean hasRoom() {
    return inFlight < high;
  }

  public void acquire() {
    if (inFlight >= high) {
      throw new IllegalStateException("in-flight limit " + high + " exceeded");
    }
    inFlight++;
    peak = Math.max(peak, inFlight);
  }

  public void release() {
    inFlight--;
  }

  /** True at or below the low mark: paused partitions may resume. */
  public boolean belowLowMark() {
    return inFlight <= low;
  }

  public int inFlight() {
    return inFlight;
  }

  /** Highest in-flight count seen since start. */
  public int peak() {
    return peak;
  }

  public int limit() {
    return high;
  }
}
