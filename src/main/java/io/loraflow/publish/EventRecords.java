package io.loraflow.publish;

import io.loraflow.error.StageException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaHeader;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;

/**
 * Builds the output records: results (schemas/classification-result.schema.json) and dead
 * letters (schemas/dead-letter.schema.json). Both keep the input's key; a dead letter also keeps
 * its headers and adds {@code loraflow.error.*} headers, so it can be routed without parsing.
 */
public final class EventRecords {
  public static final String H_REASON = "loraflow.error.reason";
  public static final String H_MESSAGE = "loraflow.error.message";
  public static final String H_STAGE = "loraflow.error.stage";
  public static final String H_ATTEMPTS = "loraflow.error.attempts";
  public static final String H_TOPIC = "loraflow.error.source.topic";
  public static final String H_PARTITION = "loraflow.error.source.partition";
  public static final String H_OFFSET = "loraflow.error.source.offset";

  private EventRecords() {
  }

  public static KafkaProducerRecord<Buffer, Buffer> result(String topic,
      KafkaConsumerRecord<Buffer, Buffer> input, JsonObject result) {
    return KafkaProducerRecord.create(topic, input.key(), result.toBuffer());
  }

  public static KafkaProducerRecord<Buffer, Buffer> deadLetter(String topic,
      KafkaConsumerRecord<Buffer, Buffer> input, String id, StageException error, int attempts) {
    JsonObject value = new JsonObject();
    if (id != null) {
      value.put("id", id);
    }
    String stage = error.reason().stage().name().toLowerCase(Locale.ROOT);
    value.put("reason", error.reason().name())
        .put("message", String.valueOf(error.getMessage()))
        .put("stage", stage)
        .put("attempts", attempts)
        .put("source", source(input))
        .put("original", original(input.value()))
        .put("timestamp", Instant.now().toString());
    KafkaProducerRecord<Buffer, Buffer> out = KafkaProducerRecord.create(topic, input.key(), value.toBuffer());
    input.headers().forEach(h -> out.addHeader(h.key(), h.value()));
    out.addHeader(KafkaHeader.header(H_REASON, error.reason().name()))
        .addHeader(KafkaHeader.header(H_MESSAGE, truncate(String.valueOf(error.getMessage()), 1000)))
        .addHeader(KafkaHeader.header(H_STAGE, stage))
        .addHeader(KafkaHeader.header(H_ATTEMPTS, Integer.toString(attempts)))
        .addHeader(KafkaHeader.header(H_TOPIC, input.topic()))
        .addHeader(KafkaHeader.header(H_PARTITION, Integer.toString(input.partition())))
        .addHeader(KafkaHeader.header(H_OFFSET, Long.toString(input.offset())));
    return out;
  }

  public static JsonObject source(KafkaConsumerRecord<?, ?> input) {
    return new JsonObject().put("topic", input.topic()).put("partition", input.partition())
        .put("offset", input.offset());
  }

  private static JsonObject original(Buffer value) {
    if (value == null) {
      return new JsonObject().putNull("value").put("valueEncoding", "utf8");
    }
    byte[] bytes = value.getBytes();
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      return new JsonObject().put("value", text).put("valueEncoding", "utf8");
    } catch (CharacterCodingException e) {
      return new JsonObject().put("value", Base64.getEncoder().encodeToString(bytes))
          .put("valueEncoding", "base64");
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
