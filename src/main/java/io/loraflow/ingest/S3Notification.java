package io.loraflow.ingest;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads an S3 bucket notification (AWS S3, MinIO, Ceph RGW) as an image request, against
 * {@code schemas/s3-notification.schema.json}: its one {@code ObjectCreated} record becomes a
 * classification of {@code s3://bucket/key}, the key URL-decoded exactly ({@code +} is a space,
 * {@code %2B} a plus). The request's id is that reference with its {@code ?versionId=}, so a
 * replayed notification has the same id; the event name and sequencer go to its attributes.
 *
 * <p>One input record has one outcome, so a notification with several records is
 * {@code INVALID_EVENT}: a dead letter saying so. A notification of another event (a delete) and
 * S3's test event ask for nothing: {@link NotClassified}, counted, no outcome. Stateless.
 */
final class S3Notification {
  private final Validator validator = RequestParser.Schemas.validator("s3-notification.schema.json");

  /** True for a JSON object that is a notification rather than an image request. */
  static boolean isNotification(JsonObject json) {
    return (json.containsKey("Records") || isTestEvent(json)) && !json.containsKey("image");
  }

  /** What S3 sends once when a notification is configured: {@code {"Event":"s3:TestEvent",…}}. */
  private static boolean isTestEvent(JsonObject json) {
    return "s3:TestEvent".equals(json.getValue("Event")) && !json.containsKey("Records");
  }

  ImageRequest toRequest(JsonObject json) {
    if (isTestEvent(json)) {
      throw new NotClassified("s3_test_event", "S3 test event: nothing to classify");
    }
    if (json.getValue("Records") instanceof JsonArray array && array.size() > 1) {
      throw new StageException(Reason.INVALID_EVENT, "S3 notification with " + array.size()
          + " records: only single-record notifications are accepted (one input record, one "
          + "outcome; S3, MinIO and Ceph send one record per message)");
    }
    OutputUnit result = validator.validate(json);
    if (!result.getValid()) {
      throw new StageException(Reason.INVALID_EVENT, "notification does not match "
          + "s3-notification.schema.json: " + RequestParser.describe(result));
    }
    JsonObject record = json.getJsonArray("Records").getJsonObject(0);
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
      throw new StageException(Reason.INVALID_EVENT, "at /Records/0/s3/object/key: not URL-encoded: "
          + object.getString("key"));
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
