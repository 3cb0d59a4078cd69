package io.loraflow.testkit;

import io.loraflow.ingest.RequestParser;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

/** Validates produced events against the contracts in {@code schemas/}. */
public final class Schemas {
  private Schemas() {
  }

  public static Validator validator(String schemaFile) {
    return Validator.create(JsonSchema.of(RequestParser.Schemas.load(schemaFile)),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://loraflow.io/schemas/")
            .setOutputFormat(OutputFormat.Basic));
  }

  /** Null when valid, else the validator's report. */
  public static String errors(Validator v, JsonObject json) {
    OutputUnit u = v.validate(json);
    return u.getValid() ? null : u.toJson().encode() + " for " + json.encode();
  }
}
