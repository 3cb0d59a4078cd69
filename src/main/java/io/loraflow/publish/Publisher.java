package io.loraflow.publish;

import io.vertx.core.Future;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends outcome records; a send completes when the broker acknowledged the record.
 *
 * <p>A send fails with {@link Abandoned} when the publisher closed or threw its open work away
 * (an aborted transaction), and with Kafka's exception when retrying cannot help (the record is
 * too large, the topic is not authorized); transient errors are retried, never surfaced.
 */
public interface Publisher {

  /**
   * Sends {@code record} if {@code wanted} still holds when it is handed to the producer (a send
   * held back during a transaction commit is checked when it is released); fails with
   * {@link Abandoned} otherwise.
   */
  Future<Void> send(ProducerRecord<byte[], byte[]> record, BooleanSupplier wanted);

  /** Flushes what is pending and closes the producer. */
  Future<Void> close();

  /** The send was given up with the rest of its batch of work: its event will be read again. */
  final class Abandoned extends RuntimeException {
    public Abandoned(String message) {
      super(message, null, false, false);
    }
  }
}
