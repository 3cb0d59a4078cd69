package io.loraflow.publish;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code ordering=partition}: outcomes of one input partition are sent in input order. Each event
 * takes a {@link Slot} when it starts; when its outcome is ready it {@link Slot#release releases}
 * the send, which runs as soon as every earlier slot of the partition has been sent. Sends are
 * issued back to back on the event loop, so the producer keeps them in order without waiting for
 * acknowledgements in between.
 *
 * <p>Concurrency: event loop only.
 */
public final class PartitionSequencer {
  private final Map<Object, ArrayDeque<Slot>> queues = new HashMap<>();

  /** Takes the next slot of {@code partition}; call in input order. */
  public Slot next(Object partition) {
    Slot slot = new Slot(partition);
    queues.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(slot);
    return slot;
  }

  private void drain(Object partition) {
    ArrayDeque<Slot> queue = queues.get(partition);
    while (queue != null && !queue.isEmpty() && queue.peek().send != null) {
      Slot head = queue.poll();
      head.send.get().onComplete(head.sent);
    }
    if (queue != null && queue.isEmpty()) {
      queues.remove(partition);
    }
  }

  /** Slots waiting, over all partitions. */
  public int waiting() {
    return queues.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** One event's place in its partition's order. */
  public final class Slot {
    private final Object partition;
    private final Promise<Void> sent = Promise.promise();
    private Supplier<Future<Void>> send;

    private Slot(Object partition) {
      this.partition = partition;
    }

    /** Sends when every earlier slot has; completes when this send is acknowledged. */
    public Future<Void> release(Supplier<Future<Void>> send) {
      if (this.send != null) {
        throw new IllegalStateException("slot released twice");
      }
      this.send = send;
      drain(partition);
      return sent.future();
    }
  }
}
