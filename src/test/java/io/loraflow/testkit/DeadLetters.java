package io.loraflow.testkit;

import io.loraflow.publish.EventRecords;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Reads dead letters (Kafka Connect convention: original record plus loraflow.error.* headers). */
public final class DeadLetters {
  private DeadLetters() {
  }

  public static boolean isDeadLetter(ConsumerRecord<byte[], byte[]> r) {
    return r.headers().lastHeader(EventRecords.H_REASON) != null;
  }

  /** The loraflow.error.* headers as a JSON object keyed by header name (the schema's form). */
  public static JsonObject headers(ConsumerRecord<byte[], byte[]> r) {
    JsonObject out = new JsonObject();
    for (Header h : r.headers()) {
      if (h.key().startsWith(EventRecords.H_PREFIX)) {
        out.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /**
   * A short view for assertions: reason, message, stage, attempts, id and
   * source {topic, partition, offset}, read from the headers.
   */
  public static JsonObject view(ConsumerRecord<byte[], byte[]> r) {
    JsonObject h = headers(r);
    JsonObject v = new JsonObject()
        .put("reason", h.getString(EventRecords.H_REASON))
        .put("message", h.getString(EventRecords.H_MESSAGE))
        .put("stage", h.getString(EventRecords.H_STAGE))
        .put("attempts", Integer.parseInt(h.getString(EventRecords.H_ATTEMPTS, "0")))
        .put("source", new JsonObject().put("topic", h.getString(EventRecords.H_TOPIC))
            .put("partition", Integer.parseInt(h.getString(EventRecords.H_PARTITION, "-1")))
            .put("offset", Long.parseLong(h.getString(EventRecords.H_OFFSET, "-1"))));
    if (h.getString(EventRecords.H_ID) != null) {
      v.put("id", h.getString(EventRecords.H_ID));
    }
    return v;
  }
}
