package io.loraflow.ingest;

/**
 * Counts events in flight against {@code max.in.flight}, with hysteresis: the ingest pauses its
 * partitions at the high mark and resumes them at three quarters of it, so pause/resume does not
 * flap on every event, yet the fetch after a resume lands before the pipeline runs dry.
 * Event loop only.
 */
public final class InFlightGate {
  private final int high;
  private final int low;
  private int inFlight;
  private int peak;

  public InFlightGate(int maxInFlight) {
    this.high = maxInFlight;
    this.low = maxInFlight * 3 / 4;
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

  /** True at or below the low mark (3/4 of the limit): paused partitions may resume. */
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
