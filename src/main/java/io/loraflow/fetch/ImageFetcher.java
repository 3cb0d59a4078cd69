package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Base64;

/**
 * Gets the bytes of an {@link ImageReference}: HTTP through {@link HttpSource} (SSRF guard,
 * timeouts, size limit, manual redirects), files through {@link FileSource} (allowed roots only),
 * {@code s3://} objects through {@link S3Source} (allowed buckets only), {@code data:} URIs and
 * inline record values under the same size limit.
 *
 * <p>Every failure is a failed future carrying a {@link StageException}; nothing is thrown.
 * Thread: any; blocking work (DNS, files, large base64) runs on Vert.x worker threads. One
 * instance per service; {@link #close} releases the HTTP and S3 clients.
 */
public final class ImageFetcher {
  /** Base64 payloads longer than this are decoded on a worker thread, not the caller's. */
  private static final int INLINE_DECODE_CHARS = 64 * 1024;

  private final Vertx vertx;
  private final FetchOptions options;
  private final HttpSource http;
  private final FileSource files;
  /** Null when no bucket is allowed: the SDK client (and its threads) is made only when used. */
  private final S3Source s3;

  public ImageFetcher(Vertx vertx, FetchOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.http = new HttpSource(vertx, options);
    this.files = new FileSource(vertx, options);
    this.s3 = options.s3().enabled() ? new S3Source(vertx, options) : null;
  }

  /** Fetches the image bytes; fails with the dead-letter reason when it cannot. */
  public Future<Buffer> fetch(ImageReference ref) {
    Future<Buffer> result;
    try {
      if (ref instanceof ImageReference.Http h) {
        result = http.fetch(h.uri());
      } else if (ref instanceof ImageReference.S3Object o) {
        result = s3(o);
      } else if (ref instanceof ImageReference.LocalFile f) {
        result = files.fetch(f.path());
      } else if (ref instanceof ImageReference.Data d) {
        result = data(d.base64());
      } else {
        result = inline(((ImageReference.Inline) ref).bytes());
      }
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.recover(err -> Future.failedFuture(err instanceof StageException
        ? err : new StageException(Reason.FETCH_FAILED, err.toString(), false, err)));
  }

  /**
   * Blocking, for a worker thread: reads a local file under the same checks as {@link #fetch}
   * (roots, size), so a file can be read where it is decoded.
   *
   * @throws StageException with the dead-letter reason
   */
  public byte[] readFile(ImageReference.LocalFile ref) {
    try {
      return files.read(ref.path());
    } catch (StageException e) {
      throw e;
    } catch (Exception e) {
      throw new StageException(Reason.FETCH_FAILED, e.toString(), false, e);
    }
  }

  public Future<Void> close() {
    files.close();
    return s3 == null ? http.close() : http.close().eventually(s3::close);
  }

  private Future<Buffer> s3(ImageReference.S3Object ref) {
    if (s3 == null) {
      return Future.failedFuture(new StageException(Reason.FORBIDDEN_TARGET,
          "s3:// references are disabled (fetch.s3.allowed.buckets is empty): " + ref));
    }
    return s3.fetch(ref);
  }

  private Future<Buffer> inline(byte[] bytes) {
    if (bytes.length > options.maxBytes()) {
      return Future.failedFuture(new StageException(Reason.TOO_LARGE,
          "inline image over " + options.maxBytes() + " bytes"));
    }
    return Future.succeededFuture(Buffer.buffer(bytes));
  }

  private Future<Buffer> data(String base64) {
    if (base64.length() / 4 * 3L > options.maxBytes() + 2) {
      return Future.failedFuture(new StageException(Reason.TOO_LARGE,
          "data: URI over " + options.maxBytes() + " bytes"));
    }
    if (base64.length() <= INLINE_DECODE_CHARS) {
      return Future.succeededFuture(decodeBase64(base64)).compose(this::inline);
    }
    return vertx.executeBlocking(() -> decodeBase64(base64), false).compose(this::inline);
  }

  private static byte[] decodeBase64(String text) {
    String compact = text.replaceAll("\\s+", "").replace("%3D", "=").replace("%3d", "=");
    boolean urlSafe = compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0;
    try {
      return (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(compact);
    } catch (IllegalArgumentException e) {
      throw new StageException(Reason.FETCH_FAILED, "malformed base64 in data: URI");
    }
  }
}
