package io.loraflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.fetch.ImageReference;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3NotificationTest {
  private final RequestParser parser = new RequestParser();

  static JsonObject record(String event, String bucket, String encodedKey) {
    return new JsonObject().put("eventVersion", "2.0").put("eventSource", "minio:s3")
        .put("eventName", event).put("s3", new JsonObject()
            .put("bucket", new JsonObject().put("name", bucket))
            .put("object", new JsonObject().put("key", encodedKey).put("size", 123)
                .put("sequencer", "17E0A1B2C3D4E5F6")));
  }

  static JsonObject notification(JsonObject... records) {
    return new JsonObject().put("Records", new JsonArray(java.util.List.of((Object[]) records)));
  }

  private ImageRequest parse(JsonObject json) {
    return parser.parse(json.toBuffer(), Map.of(), "images-0-7");
  }

  private StageException refused(JsonObject json) {
    StageException e = assertThrows(StageException.class, () -> parse(json));
    assertEquals(Reason.INVALID_EVENT, e.reason());
    return e;
  }

  @Test
  void anObjectCreatedRecordBecomesAnS3ReferenceWithTheKeyDecodedExactly() {
    ImageRequest r = parse(notification(record("s3:ObjectCreated:Put", "images",
        "cam-7%2Fa+shoe+%2B+%C3%BC%E7%8C%AB.jpg")));
    assertEquals("s3://images/cam-7/a shoe + ü猫.jpg", r.image());
    assertEquals(new ImageReference.S3Object("images", "cam-7/a shoe + ü猫.jpg", null),
        ImageReference.parse(r.image()));
    assertEquals(r.image(), r.id(), "the id names the object, so a replay has the same id");
    assertEquals("s3:ObjectCreated:Put", r.attributes().getString("s3.eventName"));
    assertEquals("17E0A1B2C3D4E5F6", r.attributes().getString("s3.sequencer"));
  }

  @Test
  void theVersionGoesIntoReferenceAndId() {
    JsonObject n = notification(record("ObjectCreated:CompleteMultipartUpload", "images", "a.png"));
    n.getJsonArray("Records").getJsonObject(0).getJsonObject("s3").getJsonObject("object")
        .put("versionId", "v+1");
    ImageRequest r = parse(n);
    assertEquals("s3://images/a.png?versionId=v+1", r.id());
    assertEquals("v+1", ((ImageReference.S3Object) ImageReference.parse(r.image())).versionId());
  }

  /** A delete, and the test event S3 sends when a notification is configured, ask for nothing. */
  @Test
  void otherEventsAndTheTestEventAreNotClassifiedAndNoErrors() {
    NotClassified delete = assertThrows(NotClassified.class,
        () -> parse(notification(record("s3:ObjectRemoved:Delete", "images", "a.png"))));
    assertEquals("s3_not_object_created", delete.reason());
    assertTrue(delete.getMessage().contains("only ObjectCreated"));
    NotClassified test = assertThrows(NotClassified.class, () -> parse(new JsonObject()
        .put("Service", "Amazon S3").put("Event", "s3:TestEvent").put("Bucket", "images")));
    assertEquals("s3_test_event", test.reason());
  }

  /** Each record is a part of its own: a request, a skip or a refusal of that record alone. */
  @Test
  void severalRecordsAreOnePartEach() {
    List<RequestParser.Part> parts = parser.parseAll(notification(record("s3:ObjectCreated:Put", "images", "a.png"),
        record("s3:ObjectRemoved:Delete", "images", "a.png"), record("s3:ObjectCreated:Put", "images", "bad%zz"),
        record("s3:ObjectCreated:Post", "other", "b+c.png")).toBuffer(), Map.of(), "images-0-7");
    assertEquals(4, parts.size());
    assertEquals("s3://images/a.png", parts.get(0).request().id());
    assertEquals("s3_not_object_created", assertThrows(NotClassified.class, () -> parts.get(1).request()).reason());
    StageException bad = assertThrows(StageException.class, () -> parts.get(2).request());
    assertTrue(bad.getMessage().contains("at /Records/2/s3/object/key: not URL-encoded"), bad.getMessage());
    assertEquals("s3://other/b c.png", parts.get(3).request().image());
  }

  @Test
  void overTheCapOrOverHttpSeveralRecordsAreRefusedWhole() {
    JsonObject[] many = new JsonObject[S3Notification.MAX_RECORDS + 1];
    java.util.Arrays.fill(many, record("s3:ObjectCreated:Put", "images", "a.png"));
    StageException over = assertThrows(StageException.class,
        () -> parser.parseAll(notification(many).toBuffer(), Map.of(), "x"));
    assertEquals(Reason.INVALID_EVENT, over.reason());
    assertTrue(over.getMessage().contains("101 records, more than 100"), over.getMessage());
    assertEquals(S3Notification.MAX_RECORDS, parser.parseAll(notification(java.util.Arrays.copyOf(many,
        S3Notification.MAX_RECORDS)).toBuffer(), Map.of(), "x").size());
    assertTrue(refused(notification(record("s3:ObjectCreated:Put", "images", "a.png"),
        record("s3:ObjectCreated:Put", "images", "b.png"))).getMessage().contains("2 records: send one at a time"));
  }

  @Test
  void brokenNotificationsAreRefusedWithTheReason() {
    JsonObject noKey = notification(record("s3:ObjectCreated:Put", "images", "a.png"));
    noKey.getJsonArray("Records").getJsonObject(0).getJsonObject("s3").getJsonObject("object")
        .remove("key");
    assertTrue(refused(noKey).getMessage().contains("/Records/0/s3/object"), "names the path");
    assertTrue(refused(notification(record("s3:ObjectCreated:Put", "images", "bad%zz")))
        .getMessage().contains("not URL-encoded"));
    refused(new JsonObject().put("Records", new JsonArray()));
  }

  @Test
  void aRequestWithAnImageIsStillARequest() {
    ImageRequest r = parser.parse(Buffer.buffer("{\"image\":\"s3://images/a.png\",\"Records\":1}"),
        Map.of(), "x");
    assertEquals("s3://images/a.png", r.image());
  }
}
