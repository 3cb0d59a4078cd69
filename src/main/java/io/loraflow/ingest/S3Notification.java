package io.loraflow.ingest;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an S3 bucket notification (AWS S3, MinIO, Ceph RGW) as image requests, against
 * {@code schemas/s3-notification.schema.json}: each of its {@code ObjectCreated} records becomes a
 * classification of {@code s3://bucket/key}, the key URL-decoded exactly ({@code +} is a space,
 * {@code %2B} a plus). A request's id is that reference with its {@code ?versionId=}, so a
 * replayed notification has the same ids; the event name and sequencer go to its attributes.
 *
 * <p>A notification of another event (a delete) and S3's test event ask for nothing: their part is
 * {@link NotClassified}, counted, no outcome. A record whose key is not URL-encoded is refused on
 * its own; a notification that does not match the schema, or holds more than
 * {@value #MAX_RECORDS} records, is refused as a whole. Stateless.
 */
final class S3Notification {
  /**
   * Records one notification may hold. S3, MinIO and Ceph send one per message; a producer that
   * batches (EventBridge, a Lambda) sends a few. All of one input record's images are classified
   * under its one in-flight slot, so this bounds the work a single record can bring.
   */
  static final int MAX_RECORDS = 100;

  private final Validator validator = RequestParser.Schemas.validator("s3-notification.schema.json");

  /** True for a JSON object that is a notification rather than an image request. */
  static boolean isNotification(JsonObject json) {
    return (json.containsKey("Records") || isTestEvent(json)) && !json.containsKey("image");
  }

  /** What S3 sends once when a notification is configured: {@code {"Event":"s3:TestEvent",…}}. */
  private static boolean isTestEvent(JsonObject json) {
    return "s3:TestEvent".equals(json.getValue("Event")) && !json.containsKey("Records");
  }

  /** One part per notification record, in their order. */
  List<RequestParser.Part> toRequests(JsonObject json) {
    if (isTestEvent(json)) {
      throw new NotClassified("s3_test_event", "S3 test event: nothing to classify");
    }
    if (json.getValue("Records") instanceof JsonArray array && array.size() > MAX_RECORDS) {
      throw new StageException(Reason.INVALID_EVENT, "S3 notification with " + array.size()
          + " records, more than " + MAX_RECORDS + ": split it into notifications of at most "
          + MAX_RECORDS + " records");
    }
    OutputUnit result = validator.validate(json);
    if (!result.getValid()) {
      throw new StageException(Reason.INVALID_EVENT, "notification does not match "
          + "s3-notification.schema.json: " + RequestParser.describe(result));
    }
    JsonArray records = json.getJsonArray("Records");
    List<RequestParser.Part> parts = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      JsonObject record = records.getJsonObject(i);
      int index = i;
      parts.add(() -> toRequest(record, index));
    }
    return parts;
  }

  private static ImageRequest toRequest(JsonObject record, int index) {
    String event = record.getString("eventName");
    if (!event.startsWith("s3:ObjectCreated:") && !event.startsWith("ObjectCreated:")) {
      throw new NotClassified("s3_not_object_created", "S3 notification for " + event
          + ": only ObjectCreated events are classified");
    }
    JsonObject s3 = record.getJsonObject("s3");
    JsonObject object = s3.getJsonObject("object");
    String key;
    try {
      key = URLDecoder.decode(object.getString("key"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new StageException(Reason.INVALID_EVENT, "at /Records/" + index + "/s3/object/key: "
          + "not URL-encoded: " + object.getString("key"));
    }
    String version = object.getString("versionId");
    String ref = "s3://" + s3.getJsonObject("bucket").getString("name") + "/" + key
        + (version == null || version.isEmpty() ? "" : "?versionId=" + version);
    JsonObject attributes = new JsonObject().put("s3.eventName", event);
    if (object.getString("sequencer") != null) {
      attributes.put("s3.sequencer", object.getString("sequencer"));
    }
    return new ImageRequest(ref, ref, null, null, null, attributes, null);
  }
}
