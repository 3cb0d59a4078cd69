package io.loraflow.publish;

import io.vertx.core.Context;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Brings the producer's acknowledgements back to the event loop in bunches: the producer's I/O
 * thread acknowledges a whole batch of records at once, and one event-loop task per bunch costs
 * far less than one per record.
 *
 * <p>Concurrency: {@link #add} from any thread (the producer's I/O thread); the handlers run on
 * {@code context}, in acknowledgement order.
 */
final class Acks {
  /** What to run on the event loop for one acknowledgement; {@code error} null on success. */
  interface Handler {
    void acknowledged(Exception error);
  }

  private record Ack(Handler handler, Exception error) {
  }

  private final Context context;
  private final ConcurrentLinkedQueue<Ack> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  Acks(Context context) {
    this.context = context;
  }

  void add(Handler handler, Exception error) {
    queue.add(new Ack(handler, error));
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false); // before polling: an ack added from now on schedules another drain
    for (Ack a = queue.poll(); a != null; a = queue.poll()) {
      a.handler().acknowledged(a.error());
    }
  }
}
