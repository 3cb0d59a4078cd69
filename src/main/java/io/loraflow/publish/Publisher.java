package io.loraflow.publish;

import io.vertx.core.Future;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends outcome records; a send completes when the broker acknowledged the record.
 *
 * <p>A send fails with {@link Abandoned} when the publisher closed or threw its open work away
 * (an aborted transaction), and with Kafka's exception when retrying cannot help (the record is
 * too large, the topic is not authorized); transient errors are retried, never surfaced.
 */
public interface Publisher {

  Future<Void> send(ProducerRecord<byte[], byte[]> record);

  /** Flushes what is pending and closes the producer. */
  Future<Void> close();

  /** The send was given up with the rest of its batch of work: its event will be read again. */
  final class Abandoned extends RuntimeException {
    public Abandoned(String message) {
      super(message, null, false, false);
    }
  }
}
