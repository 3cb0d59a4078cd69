package io.loraflow.publish;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.loraflow.BuildInfo;
import io.loraflow.inference.Classification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Writes a {@link Classification} as the result event (schemas/classification-result.schema.json)
 * with Jackson's streaming generator: straight to bytes, no JSON tree per event.
 *
 * <p>Thread: any (stateless).
 */
public final class ResultJson {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final BuildInfo BUILD = BuildInfo.current();

  private ResultJson() {
  }

  /** The result, with its {@code source} when it came from a record ({@code topic} null: HTTP). */
  public static byte[] write(Classification c, String topic, int partition, long offset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(384);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("id", c.id());
      g.writeArrayFieldStart("labels");
      for (String label : c.labels()) {
        g.writeString(label);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("scores");
      for (double s : c.scores()) {
        g.writeNumber(s);
      }
      g.writeEndArray();
      g.writeObjectFieldStart("model");
      g.writeStringField("name", c.modelName());
      g.writeStringField("version", c.modelVersion());
      g.writeStringField("task", c.task());
      g.writeEndObject();
      g.writeObjectFieldStart("service");
      g.writeStringField("version", BUILD.version());
      g.writeStringField("commit", BUILD.commit());
      g.writeEndObject();
      g.writeStringField("device", c.device());
      if (topic != null) {
        g.writeObjectFieldStart("source");
        g.writeStringField("topic", topic);
        g.writeNumberField("partition", partition);
        g.writeNumberField("offset", offset);
        g.writeEndObject();
      }
      if (c.attributes() != null) {
        g.writeFieldName("attributes");
        g.writeRawValue(c.attributes().encode());
      }
      g.writeNumberField("batchSize", c.batchSize());
      Classification.Timings t = c.timings();
      g.writeObjectFieldStart("timingsMs");
      g.writeNumberField("fetch", ms(t.fetchNanos()));
      g.writeNumberField("decode", ms(t.decodeNanos()));
      g.writeNumberField("queue", ms(t.queueNanos()));
      g.writeNumberField("inference", ms(t.inferenceNanos()));
      g.writeNumberField("total", ms(t.totalNanos()));
      g.writeEndObject();
      g.writeStringField("timestamp", Instant.ofEpochMilli(c.finishedAtMillis()).toString());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Milliseconds with two decimals. */
  private static double ms(long nanos) {
    return Math.round(Math.max(0, nanos) / 10_000.0) / 100.0;
  }
}
