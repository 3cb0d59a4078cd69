package io.loraflow.publish;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.loraflow.BuildInfo;
import io.loraflow.inference.Classification;
import io.vertx.core.json.jackson.JacksonCodec;
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
  /**
   * Jackson's Schubfach double writer: JDK 17's {@code Double.toString} took a third of the
   * event loop's time for the scores and timings of each result.
   */
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
  /** The last timestamp written: the outcomes of a batch mostly finish in the same millisecond. */
  private static volatile Stamp lastStamp = new Stamp(0, Instant.EPOCH.toString());
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
        // Into this generator: JsonObject.encode() made an ObjectMapper writer and a String per
        // result, a seventh of the event loop's time in the pipe case.
        g.writeFieldName("attributes");
        JacksonCodec.encodeJson(c.attributes(), g);
      }
      if (c.cached()) {
        g.writeBooleanField("cached", true); // no inference run, so no batchSize
      } else {
        g.writeNumberField("batchSize", c.batchSize());
      }
      Classification.Timings t = c.timings();
      g.writeObjectFieldStart("timingsMs");
      writeMs(g, "fetch", t.fetchNanos());
      writeMs(g, "decode", t.decodeNanos());
      writeMs(g, "queue", t.queueNanos());
      writeMs(g, "inference", t.inferenceNanos());
      writeMs(g, "total", t.totalNanos());
      g.writeEndObject();
      g.writeStringField("timestamp", timestamp(c.finishedAtMillis()));
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Milliseconds with two decimals, as a fixed-point number (no floating-point formatting). */
  private static void writeMs(JsonGenerator g, String field, long nanos) throws IOException {
    long hundredths = (Math.max(0, nanos) + 5_000) / 10_000;
    long frac = hundredths % 100;
    g.writeFieldName(field);
    g.writeNumber(hundredths / 100 + (frac < 10 ? ".0" : ".") + frac);
  }

  /** ISO-8601 UTC, as {@link Instant#toString()}. */
  private static String timestamp(long millis) {
    Stamp last = lastStamp;
    if (last.millis != millis) {
      last = new Stamp(millis, Instant.ofEpochMilli(millis).toString());
      lastStamp = last;
    }
    return last.text;
  }

  private record Stamp(long millis, String text) {
  }
}
