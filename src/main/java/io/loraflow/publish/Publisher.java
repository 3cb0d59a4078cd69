package io.loraflow.publish;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/** Sends outcome records; a send completes when the broker acknowledged the record. */
public interface Publisher {

  Future<Void> send(KafkaProducerRecord<Buffer, Buffer> record);

  /** Flushes what is pending and closes the producer. */
  Future<Void> close();
}
