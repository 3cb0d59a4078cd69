package io.loraflow.testkit;

import io.loraflow.ingest.RequestParser;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

/** Validates produced events against the contracts in {@code schemas/}. */
public final class Schemas {
  private Schemas() {
  }

  public static Validator validator(String schemaFile) {
    return RequestParser.Schemas.validator(schemaFile);
  }

  /** Null when valid, else the validator's report. */
  public static String errors(Validator v, JsonObject json) {
    OutputUnit u = v.validate(json);
    return u.getValid() ? null : u.toJson().encode() + " for " + json.encode();
  }
}
