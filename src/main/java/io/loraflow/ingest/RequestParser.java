package io.loraflow.ingest;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * Turns an input record into an {@link ImageRequest}, validating it against
 * {@code schemas/image-request.schema.json}. A record whose {@code content-type} header is
 * {@code image/*} is the image itself; a JSON object with {@code Records} is an S3 bucket
 * notification ({@link S3Notification}), which may ask for several classifications. Anything else
 * that fails is {@code INVALID_EVENT}, with the failing JSON path in the message.
 */
public final class RequestParser {
  private final Validator validator;
  private final S3Notification notifications = new S3Notification();

  public RequestParser() {
    this.validator = Schemas.validator("image-request.schema.json");
  }

  /**
   * One of the requests a record holds. {@link #request} returns it, or throws
   * {@link NotClassified} when this part asks for nothing, or a {@link StageException} when it alone
   * is refused.
   */
  @FunctionalInterface
  public interface Part {
    ImageRequest request();
  }

  /**
   * The requests of a record, in order: one, or one per record of an S3 notification. Throws
   * when the record as a whole is refused ({@link StageException}) or asks for nothing
   * ({@link NotClassified}). {@code defaultId} is used when the request has none
   * (topic-partition-offset).
   */
  public List<Part> parseAll(Buffer value, Map<String, String> headers, String defaultId) {
    String contentType = headers.getOrDefault("content-type", "");
    if (contentType.toLowerCase().startsWith("image/")) {
      if (value == null || value.length() == 0) {
        throw new StageException(Reason.INVALID_EVENT, "record has content-type " + contentType
            + " but an empty value");
      }
      ImageRequest inline = new ImageRequest(headers.getOrDefault("id", defaultId), null, value, null,
          headers.get("task"), null, null);
      return List.of(() -> inline);
    }
    if (value == null || value.length() == 0) {
      throw new StageException(Reason.INVALID_EVENT, "empty record value: expected a JSON image request");
    }
    JsonObject json = json(value);
    if (S3Notification.isNotification(json)) {
      return notifications.toRequests(json);
    }
    ImageRequest request = request(json, defaultId);
    return List.of(() -> request);
  }

  /**
   * The one request of a record (an HTTP request's body): a notification with several records
   * is refused. {@code defaultId} is used when the request has none.
   */
  public ImageRequest parse(Buffer value, Map<String, String> headers, String defaultId) {
    List<Part> parts = parseAll(value, headers, defaultId);
    if (parts.size() > 1) {
      throw new StageException(Reason.INVALID_EVENT, "S3 notification with " + parts.size()
          + " records: send one at a time");
    }
    return parts.get(0).request();
  }

  private static JsonObject json(Buffer value) {
    try {
      return new JsonObject(value);
    } catch (DecodeException | ClassCastException e) {
      throw new StageException(Reason.INVALID_EVENT, "value is not a JSON object: " + e.getMessage());
    }
  }

  private ImageRequest request(JsonObject json, String defaultId) {
    OutputUnit result = plainlyValid(json) ? null : validator.validate(json);
    if (result != null && !result.getValid()) {
      throw new StageException(Reason.INVALID_EVENT, "request does not match image-request.schema.json: "
          + describe(result));
    }
    Instant deadline = null;
    if (json.getString("deadline") != null) {
      try {
        deadline = OffsetDateTime.parse(json.getString("deadline")).toInstant();
      } catch (DateTimeParseException e) {
        throw new StageException(Reason.INVALID_EVENT, "at /deadline: not an ISO-8601 date-time with "
            + "offset: " + json.getString("deadline"));
      }
    }
    return new ImageRequest(json.getString("id", defaultId), json.getString("image"), null,
        json.getInteger("topK"), json.getString("task"), json.getJsonObject("attributes"), deadline);
  }

  /**
   * The common request checked by hand against image-request.schema.json, without the schema
   * validator (a tenth of the event loop's time per event). True only when the schema surely
   * accepts it; anything else goes through the validator, which also words the error.
   */
  static boolean plainlyValid(JsonObject json) {
    for (Map.Entry<String, Object> e : json) {
      Object v = e.getValue();
      boolean ok = switch (e.getKey()) {
        case "image" -> v instanceof String str && !str.isEmpty();
        // UTF-16 length bounds the code points the schema counts: 1..512 units is 1..512 points.
        case "id" -> v instanceof String str && !str.isEmpty() && str.length() <= 512;
        case "task" -> v instanceof String str && !str.isEmpty();
        case "topK" -> (v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 1
            && ((Number) v).longValue() <= 1000;
        case "deadline" -> v instanceof String; // parsed below, with its own error
        case "attributes" -> v instanceof JsonObject;
        default -> true; // unknown fields are allowed (a producer's additions)
      };
      if (!ok) {
        return false;
      }
    }
    return json.getValue("image") != null;
  }

  /** The most specific error (the deepest keyword), e.g. "at /topK: 0 is less than 1". */
  static String describe(OutputUnit unit) {
    OutputUnit best = unit;
    if (unit.getErrors() != null) {
      for (OutputUnit e : unit.getErrors()) {
        if (best == unit || e.getKeywordLocation().length() > best.getKeywordLocation().length()) {
          best = e;
        }
      }
    }
    String where = best.getInstanceLocation() == null ? "#" : best.getInstanceLocation();
    return "at " + (where.startsWith("#") ? where.substring(1) : where).replaceFirst("^$", "/") + ": "
        + best.getError();
  }

  /** The JSON Schemas bundled from the project's {@code schemas/} folder. */
  public static final class Schemas {
    private Schemas() {
    }

    /** A 2020-12 validator whose errors carry instance paths (the Basic output format). */
    public static Validator validator(String name) {
      return Validator.create(JsonSchema.of(load(name)), new JsonSchemaOptions()
          .setDraft(Draft.DRAFT202012).setBaseUri("https://loraflow.io/schemas/")
          .setOutputFormat(OutputFormat.Basic));
    }

    private static JsonObject load(String name) {
      try (InputStream in = RequestParser.class.getResourceAsStream("/schemas/" + name)) {
        if (in == null) {
          throw new IllegalStateException("schema " + name + " missing from the classpath");
        }
        return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
