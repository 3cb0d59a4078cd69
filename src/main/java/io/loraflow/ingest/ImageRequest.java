package io.loraflow.ingest;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One validated image request. Either {@code image} (a reference to fetch) or {@code inlineBytes}
 * (a record whose value is the image itself) is set. {@code deadline} is when the event expires
 * (null: never).
 */
public record ImageRequest(String id, String image, Buffer inlineBytes, Integer topK, String task,
    JsonObject attributes, Instant deadline) {

  /** This request with the earlier of its own deadline and {@code other} (null = none). */
  public ImageRequest withDeadline(Instant other) {
    if (other == null || (deadline != null && deadline.isBefore(other))) {
      return this;
    }
    return new ImageRequest(id, image, inlineBytes, topK, task, attributes, other);
  }

  /** True when the deadline has passed. */
  public boolean expired() {
    return deadline != null && Instant.now().isAfter(deadline);
  }
}
