package io.loraflow.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.loraflow.inference.Classification;
import io.loraflow.testkit.Schemas;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultJsonTest {
  private static Classification withAttributes(JsonObject attributes) {
    return new Classification("id-1", List.of("cat", "dog"), List.of(0.75, 0.125), "m", "1", "default", "CPU",
        attributes, 3, new Classification.Timings(1_234_567, 2_000_000, 5, 999_999_999, 1_002_345_678),
        1_700_000_000_123L, false);
  }

  @Test
  void attributesComeBackAsTheRequestSentThem() {
    JsonObject attributes = new JsonObject().put("t", 123456789012345L).put("text", "ünï \"q\" \\ /\n")
        .put("nested", new JsonObject().put("a", new JsonArray().add(1).add(2.5).add(true).addNull()))
        .put("empty", new JsonObject()).putNull("none");
    JsonObject result = new JsonObject(new String(ResultJson.write(withAttributes(attributes), "in", 2, 41),
        java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(attributes, result.getJsonObject("attributes"));
    assertEquals(new JsonObject().put("topic", "in").put("partition", 2).put("offset", 41), result.getJsonObject("source"));
    assertEquals(new JsonObject().put("fetch", 1.23).put("decode", 2.0).put("queue", 0.0).put("inference", 1000.0)
        .put("total", 1002.35), result.getJsonObject("timingsMs"));
    assertEquals("2023-11-14T22:13:20.123Z", result.getString("timestamp"));
    assertNull(Schemas.errors(Schemas.validator("classification-result.schema.json"), result));
  }

  @Test
  void noAttributesNoField() {
    JsonObject result = new JsonObject(new String(ResultJson.write(withAttributes(null), null, 0, 0),
        java.nio.charset.StandardCharsets.UTF_8));
    assertFalse(result.containsKey("attributes"));
    assertFalse(result.containsKey("source"));
  }
}
