package io.loraflow.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;

/**
 * The last few results with a thumbnail, for the dashboard. Thumbnails cost a PNG encode, so
 * {@link #wantsThumbnail()} asks for at most a few per second. Any thread.
 */
public final class RecentResults {
  private static final long THUMBNAIL_INTERVAL_NANOS = 250_000_000L;

  private final int capacity;
  private final ArrayDeque<JsonObject> items = new ArrayDeque<>();
  private long lastThumbnailNanos;

  public RecentResults(int capacity) {
    this.capacity = capacity;
  }

  /** True at most every 250 ms: the caller may then make a thumbnail for {@link #add}. */
  public synchronized boolean wantsThumbnail() {
    long now = System.nanoTime();
    if (now - lastThumbnailNanos < THUMBNAIL_INTERVAL_NANOS) {
      return false;
    }
    lastThumbnailNanos = now;
    return true;
  }

  public synchronized void add(String id, JsonArray labels, JsonArray scores, String thumbnailDataUri) {
    items.addFirst(new JsonObject().put("id", id).put("labels", labels).put("scores", scores)
        .put("thumbnail", thumbnailDataUri));
    while (items.size() > capacity) {
      items.removeLast();
    }
  }

  public synchronized JsonArray toJson() {
    return new JsonArray(items.stream().map(JsonObject::copy).toList());
  }
}
