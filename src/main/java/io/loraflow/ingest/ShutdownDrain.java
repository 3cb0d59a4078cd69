package io.loraflow.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait of a stopping ingest for its started events: completes once none is processing
 * ({@link #check()} after each outcome) or when {@code timeoutMs} has passed, whichever is first.
 *
 * <p>Concurrency: event loop only.
 */
public final class ShutdownDrain {
  private static final Logger LOG = LoggerFactory.getLogger(ShutdownDrain.class);

  private final Vertx vertx;
  private final IntSupplier processing;
  private final Promise<Void> drained = Promise.promise();
  private final long timer;

  /** Starts the wait; {@code processing} counts the events started and not yet done. */
  public ShutdownDrain(Vertx vertx, long timeoutMs, IntSupplier processing) {
    this.vertx = vertx;
    this.processing = processing;
    this.timer = vertx.setTimer(Math.max(1, timeoutMs), id -> {
      LOG.warn("event=shutdown_timeout inFlight={}", processing.getAsInt());
      drained.tryComplete();
    });
    check();
  }

  /** Completes the wait if nothing is processing any more. */
  public void check() {
    if (processing.getAsInt() == 0 && drained.tryComplete()) {
      vertx.cancelTimer(timer);
    }
  }

  /** Completes when the started events are done, or at the timeout. */
  public Future<Void> future() {
    return drained.future();
  }
}
