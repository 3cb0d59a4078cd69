package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.fetch.ImageReference.S3Object;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.Set;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * Reads {@code s3://} objects with the AWS SDK's async client, from buckets on the allow-list only
 * (any other is {@code FORBIDDEN_TARGET} before a request is made). Credentials come from the
 * SDK's default chain (environment, profile, web identity as on EKS, container and instance
 * profile), the region from {@code S3Options.region} or the SDK's region chain.
 *
 * <p>The SDK retries nothing: transient failures come back marked transient and the caller's one
 * retry loop ({@code fetch.retries}) handles them like any other source's. The body is capped by
 * {@link S3Body}; a fetch still running after {@link FetchOptions#budgetMs} is cancelled with
 * {@code FETCH_TIMEOUT}, and each read waits at most {@code readTimeoutMs} for bytes.
 *
 * <p>The HTTP client is the SDK's Netty one on the Netty 4.2 that Vert.x brings: no thread waits
 * on a transfer, and it has two event-loop threads of its own (an S3 read is I/O, not CPU).
 * Thread: {@link #fetch} from any thread; the request is signed on a worker thread and its future
 * completes on the caller's Vert.x context.
 */
final class S3Source {
  /** Connections open to the store at once; more requests queue in the SDK. */
  private static final int MAX_CONNECTIONS = 64;
  private static final int IO_THREADS = 2;

  private final Vertx vertx;
  private final FetchOptions options;
  private final Set<String> buckets;
  private final S3AsyncClient client;

  S3Source(Vertx vertx, FetchOptions options) {
    this.vertx = vertx;
    this.options = options;
    S3Options s3 = options.s3();
    this.buckets = Set.copyOf(s3.allowedBuckets());
    var builder = S3AsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .connectionTimeout(Duration.ofMillis(options.connectTimeoutMs()))
            .readTimeout(Duration.ofMillis(options.readTimeoutMs()))
            .maxConcurrency(MAX_CONNECTIONS)
            .eventLoopGroupBuilder(SdkEventLoopGroup.builder().numberOfThreads(IO_THREADS)))
        .region(region(s3))
        .forcePathStyle(s3.pathStyle())
        .requestChecksumCalculation(s3.checksumsWhenRequired()
            ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
        .responseChecksumValidation(s3.checksumsWhenRequired()
            ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED)
        .overrideConfiguration(c -> c
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallTimeout(Duration.ofMillis(options.budgetMs())));
    s3.endpoint().ifPresent(builder::endpointOverride);
    this.client = builder.build();
  }

  Future<Buffer> fetch(S3Object ref) {
    if (!buckets.contains(ref.bucket())) {
      return Future.failedFuture(new StageException(Reason.FORBIDDEN_TARGET,
          "bucket not in fetch.s3.allowed.buckets: " + ref.bucket()));
    }
    Context context = vertx.getOrCreateContext();
    S3Body body = new S3Body(options.maxBytes(), ref.toString());
    GetObjectRequest request = GetObjectRequest.builder()
        .bucket(ref.bucket()).key(ref.key()).versionId(ref.versionId()).build();
    long timer = vertx.setTimer(options.budgetMs(), t -> body.cancel(new StageException(
        Reason.FETCH_TIMEOUT, "fetch deadline passed: " + ref, true, null)));
    // getObject marshals and signs in the calling thread (~0.35 ms of CPU measured) and, on first
    // use, walks the credential chain (which may call the instance metadata service): a worker
    // thread's job, never the event loop's. The transfer itself holds no thread.
    return vertx.executeBlocking(() -> client.getObject(request, body), false)
        .compose(call -> Future.fromCompletionStage(call, context))
        .transform(ar -> {
          vertx.cancelTimer(timer);
          return ar.succeeded() ? Future.succeededFuture(Buffer.buffer(ar.result()))
              : Future.failedFuture(S3Errors.map(ar.cause(), ref.toString()));
        });
  }

  Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  private static Region region(S3Options s3) {
    if (s3.region().isPresent()) {
      return Region.of(s3.region().get());
    }
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      throw new IllegalArgumentException("no AWS region found for s3:// references: set "
          + "fetch.s3.region (any value, e.g. us-east-1, for most S3-compatible stores) or "
          + "AWS_REGION", e);
    }
  }
}
