package io.loraflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestParserTest {
  private final RequestParser parser = new RequestParser();

  @Test
  void parsesAFullRequest() {
    ImageRequest r = parser.parse(Buffer.buffer(
        "{\"id\":\"a1\",\"image\":\"https://x.test/a.jpg\",\"topK\":3,\"attributes\":{\"cam\":7}}"),
        Map.of(), "t-0-1");
    assertEquals("a1", r.id());
    assertEquals("https://x.test/a.jpg", r.image());
    assertEquals(3, r.topK());
    assertEquals(7, r.attributes().getInteger("cam"));
  }

  @Test
  void unknownFieldsAreIgnored() {
    ImageRequest r = parser.parse(Buffer.buffer(
        "{\"image\":\"a.png\",\"producer\":\"cam-7\",\"extra\":{\"nested\":[1]}}"), Map.of(), "t-0-1");
    assertEquals("a.png", r.image());
  }

  @Test
  void idDefaultsToTopicPartitionOffset() {
    assertEquals("t-0-1", parser.parse(Buffer.buffer("{\"image\":\"a.png\"}"), Map.of(), "t-0-1").id());
  }

  @Test
  void rawImageRecordNeedsNoJson() {
    ImageRequest r = parser.parse(Buffer.buffer(new byte[] {(byte) 0x89, 'P', 'N', 'G'}),
        Map.of("content-type", "image/png"), "t-0-2");
    assertNull(r.image());
    assertEquals(4, r.inlineBytes().length());
  }

  @Test
  void malformedJsonIsInvalidEvent() {
    StageException e = assertThrows(StageException.class,
        () -> parser.parse(Buffer.buffer("{\"image\": "), Map.of(), "x"));
    assertEquals(Reason.INVALID_EVENT, e.reason());
  }

  @Test
  void schemaViolationNamesThePath() {
    StageException e = assertThrows(StageException.class,
        () -> parser.parse(Buffer.buffer("{\"image\":\"a.png\",\"topK\":0}"), Map.of(), "x"));
    assertEquals(Reason.INVALID_EVENT, e.reason());
    assertTrue(e.getMessage().contains("/topK"), e.getMessage());
  }

  @Test
  void missingImageIsInvalidEvent() {
    StageException e = assertThrows(StageException.class,
        () -> parser.parse(Buffer.buffer("{\"id\":\"a\"}"), Map.of(), "x"));
    assertEquals(Reason.INVALID_EVENT, e.reason());
  }

  /** The hand-written fast check never accepts what the schema rejects, and takes the usual cases. */
  @Test
  void theFastCheckAgreesWithTheSchema() {
    var schema = RequestParser.Schemas.validator("image-request.schema.json");
    String[] cases = {
        "{\"image\":\"/a.png\"}", "{\"image\":\"/a.png\",\"id\":\"x\",\"topK\":3,\"task\":\"t\","
            + "\"deadline\":\"2026-01-01T00:00:00Z\",\"attributes\":{\"a\":[1]}}",
        "{\"image\":\"\"}", "{}", "{\"id\":\"x\"}", "{\"image\":null}", "{\"image\":3}",
        "{\"image\":\"a\",\"topK\":0}", "{\"image\":\"a\",\"topK\":1001}", "{\"image\":\"a\",\"topK\":1.5}",
        "{\"image\":\"a\",\"topK\":\"3\"}", "{\"image\":\"a\",\"topK\":1000}", "{\"image\":\"a\",\"id\":\"\"}",
        "{\"image\":\"a\",\"id\":\"" + "x".repeat(513) + "\"}", "{\"image\":\"a\",\"id\":\"" + "x".repeat(512) + "\"}",
        "{\"image\":\"a\",\"extra\":1}", "{\"image\":\"a\",\"attributes\":[]}", "{\"image\":\"a\",\"task\":\"\"}",
        "{\"image\":\"a\",\"deadline\":5}", "{\"image\":\"a\",\"id\":null}"};
    int fast = 0;
    for (String c : cases) {
      var json = new io.vertx.core.json.JsonObject(c);
      boolean valid = schema.validate(json).getValid();
      if (RequestParser.plainlyValid(json)) {
        fast++;
        assertTrue(valid, "the fast check accepted what the schema rejects: " + c);
      }
    }
    assertEquals(5, fast, "the plain requests take the fast path");
  }
}
