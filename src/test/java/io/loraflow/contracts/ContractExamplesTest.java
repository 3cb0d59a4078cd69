package io.loraflow.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.Schemas;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The contracts' own examples — each schema's {@code examples} and the README's — are valid. */
class ContractExamplesTest {
  private static final Path SCHEMAS = Path.of("schemas");
  private static final Pattern JSON_BLOCK = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everySchemasExamplesValidateAgainstIt() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(SCHEMAS)) {
      files = s.filter(p -> p.toString().endsWith(".schema.json")).sorted().toList();
    }
    assertEquals(4, files.size(), "schemas: " + files);
    for (Path file : files) {
      JsonArray examples = new JsonObject(Files.readString(file)).getJsonArray("examples");
      assertTrue(examples != null && !examples.isEmpty(), file + " has no examples");
      Validator v = Schemas.validator(file.getFileName().toString());
      for (Object example : examples) {
        assertNull(Schemas.errors(v, (JsonObject) example), file.toString());
      }
    }
  }

  /** A result is cached or ran in a batch: "cached" is true when present, and not with a batchSize. */
  @Test
  void cachedIsTrueWhenPresent() throws IOException {
    Validator v = Schemas.validator("classification-result.schema.json");
    JsonObject cached = new JsonObject(Files.readString(SCHEMAS.resolve("classification-result.schema.json")))
        .getJsonArray("examples").getJsonObject(1);
    assertNull(Schemas.errors(v, cached));
    assertTrue(Schemas.errors(v, cached.copy().put("cached", false)) != null);
    assertTrue(Schemas.errors(v, cached.copy().put("cached", "yes")) != null);
    assertTrue(Schemas.errors(v, cached.copy().put("batchSize", 1)) != null);
  }

  /** The request and result shown under "Event contracts" in the README. */
  @Test
  void theReadmesExamplesValidate() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    String contracts = readme.substring(readme.indexOf("## Event contracts"), readme.indexOf("## Delivery contract"));
    List<JsonObject> blocks = new ArrayList<>();
    Matcher m = JSON_BLOCK.matcher(contracts);
    while (m.find()) {
      blocks.add(new JsonObject(m.group(1)));
    }
    assertEquals(2, blocks.size(), "a request and a result");
    assertNull(Schemas.errors(Schemas.validator("image-request.schema.json"), blocks.get(0)));
    assertNull(Schemas.errors(Schemas.validator("classification-result.schema.json"), blocks.get(1)));
  }

  /** A producer's added field is accepted; a known field must still match. */
  @Test
  void unknownRequestFieldsAreAllowedKnownOnesStillChecked() {
    Validator v = Schemas.validator("image-request.schema.json");
    assertNull(Schemas.errors(v, new JsonObject().put("image", "a.png").put("producer", new JsonObject())));
    assertFalse(v.validate(new JsonObject().put("image", "a.png").put("topK", "3")).getValid());
  }
}
