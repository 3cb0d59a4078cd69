package io.loraflow.service;

import io.loraflow.error.Reason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Outcome counters of one service instance: results and dead letters by reason. Any thread. */
public final class ServiceStats {
  private final AtomicLong results = new AtomicLong();
  private final Map<Reason, AtomicLong> deadLetters = new EnumMap<>(Reason.class);

  public ServiceStats() {
    for (Reason r : Reason.values()) {
      deadLetters.put(r, new AtomicLong());
    }
  }

  /** Counts one outcome: a result when {@code reason} is null, else a dead letter. */
  void published(Reason reason) {
    (reason == null ? results : deadLetters.get(reason)).incrementAndGet();
  }

  public long results() {
    return results.get();
  }

  public long deadLetters(Reason reason) {
    return deadLetters.get(reason).get();
  }

  public long deadLetters() {
    return deadLetters.values().stream().mapToLong(AtomicLong::get).sum();
  }
}
