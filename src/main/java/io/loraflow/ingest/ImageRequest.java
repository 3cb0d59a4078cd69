package io.loraflow.ingest;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * One validated image request. Either {@code image} (a reference to fetch) or {@code inlineBytes}
 * (a record whose value is the image itself) is set.
 */
public record ImageRequest(String id, String image, Buffer inlineBytes, Integer topK, String task,
    JsonObject attributes) {
}
