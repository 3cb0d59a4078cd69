package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.image.ImageFormat;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.net.URI;
import java.util.Locale;

/**
 * Collects one 2xx response body under a byte limit. A declared {@code Content-Length} over the
 * limit fails at once; otherwise bytes are counted as they stream and the stream is reset as soon
 * as the limit is passed ({@code TOO_LARGE}), or as soon as a chunk arrives after the fetch's
 * deadline ({@code FETCH_TIMEOUT}, transient). A textual {@code Content-Type} fails early, and the
 * finished body must start with a known image signature ({@code UNSUPPORTED_FORMAT}): that is the
 * content-type check, since the bytes, not the header, decide how the image is decoded.
 *
 * <p>Thread: created and driven on the response's context.
 */
final class BodyReader {
  private final HttpClientResponse response;
  private final long maxBytes;
  private final long deadlineNanos;
  private final URI uri;
  private final Promise<Buffer> result = Promise.promise();

  BodyReader(HttpClientResponse response, long maxBytes, long deadlineNanos, URI uri) {
    this.response = response;
    this.maxBytes = maxBytes;
    this.deadlineNanos = deadlineNanos;
    this.uri = uri;
  }

  Future<Buffer> read() {
    String type = response.getHeader("Content-Type");
    String length = response.getHeader("Content-Length");
    if (type != null && isTextual(type.toLowerCase(Locale.ROOT))) {
      return abort(new StageException(Reason.UNSUPPORTED_FORMAT,
          "content-type " + type + " is not an image: " + uri));
    }
    if (length != null && parseLong(length) > maxBytes) {
      return abort(tooLarge());
    }
    Buffer body = Buffer.buffer((int) Math.min(Math.max(parseLong(length), 4096), maxBytes));
    response.handler(chunk -> {
      if (result.future().isComplete()) {
        return;
      }
      if (body.length() + (long) chunk.length() > maxBytes) {
        abort(tooLarge());
      } else if (System.nanoTime() - deadlineNanos > 0) {
        abort(new StageException(Reason.FETCH_TIMEOUT, "fetch deadline passed: " + uri, true,
            null));
      } else {
        body.appendBuffer(chunk);
      }
    });
    response.exceptionHandler(err -> result.tryFail(FetchErrors.map(err, uri)));
    response.endHandler(v -> {
      byte[] head = body.getBytes(0, Math.min(body.length(), ImageFormat.SNIFF_BYTES));
      if (ImageFormat.sniff(head) == null) {
        result.tryFail(new StageException(Reason.UNSUPPORTED_FORMAT,
            "body is not an image (content-type " + type + "): " + uri));
      } else {
        result.tryComplete(body);
      }
    });
    return result.future();
  }

  private Future<Buffer> abort(StageException error) {
    result.tryFail(error);
    response.request().reset();
    return result.future();
  }

  private StageException tooLarge() {
    return new StageException(Reason.TOO_LARGE, "body over " + maxBytes + " bytes: " + uri);
  }

  private static boolean isTextual(String type) {
    return type.startsWith("text/") || type.contains("json") || type.contains("xml");
  }

  private static long parseLong(String text) {
    try {
      return text == null ? -1 : Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
