package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Collects one GetObject body under a byte limit: an object whose {@code Content-Length} is over
 * the limit fails before a byte is read, and the stream is cancelled (closing its connection) as
 * soon as the bytes counted pass it, so a store that understates the size cannot push more.
 * {@link #cancel} ends a body still streaming (the fetch's deadline).
 *
 * <p>Thread: the SDK calls it on its I/O threads, one signal at a time (Reactive Streams).
 */
final class S3Body implements AsyncResponseTransformer<GetObjectResponse, byte[]> {
  private final long maxBytes;
  private final String what;
  private volatile CompletableFuture<byte[]> result = new CompletableFuture<>();
  private volatile Subscription subscription;

  S3Body(long maxBytes, String what) {
    this.maxBytes = maxBytes;
    this.what = what;
  }

  @Override
  public CompletableFuture<byte[]> prepare() {
    result = new CompletableFuture<>();
    return result;
  }

  @Override
  public void onResponse(GetObjectResponse response) {
    Long length = response.contentLength();
    if (length != null && length > maxBytes) {
      result.completeExceptionally(tooLarge());
    }
  }

  @Override
  public void onStream(SdkPublisher<ByteBuffer> publisher) {
    publisher.subscribe(new Subscriber<ByteBuffer>() {
      private final ByteArrayOutputStream body = new ByteArrayOutputStream();

      @Override
      public void onSubscribe(Subscription s) {
        subscription = s;
        if (result.isDone()) {
          s.cancel();
        } else {
          s.request(Long.MAX_VALUE);
        }
      }

      @Override
      public void onNext(ByteBuffer chunk) {
        if (result.isDone()) {
          return;
        }
        if (body.size() + (long) chunk.remaining() > maxBytes) {
          result.completeExceptionally(tooLarge());
          subscription.cancel();
          return;
        }
        byte[] bytes = new byte[chunk.remaining()];
        chunk.get(bytes);
        body.writeBytes(bytes);
      }

      @Override
      public void onError(Throwable err) {
        result.completeExceptionally(err);
      }

      @Override
      public void onComplete() {
        result.complete(body.toByteArray());
      }
    });
  }

  @Override
  public void exceptionOccurred(Throwable error) {
    result.completeExceptionally(error);
  }

  /** Fails the body with {@code error} and stops its stream, if it is still running. */
  void cancel(StageException error) {
    result.completeExceptionally(error);
    Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  private StageException tooLarge() {
    return new StageException(Reason.TOO_LARGE, "object over " + maxBytes + " bytes: " + what);
  }
}
