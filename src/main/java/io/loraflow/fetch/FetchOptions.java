package io.loraflow.fetch;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Limits and permissions for {@link ImageFetcher}.
 *
 * @param allowedRoots folders that file references may read from; empty means no file access
 * @param maxBytes largest body, file or data: payload accepted, in bytes
 * @param connectTimeoutMs TCP (and TLS) connect timeout for HTTP references
 * @param readTimeoutMs longest wait for the next response bytes (headers or body) of an HTTP hop
 * @param maxRedirects redirects followed before the fetch fails with {@code FETCH_FAILED}
 * @param allowedTargets host names, IP literals or CIDRs (e.g. {@code "127.0.0.1/32"},
 *     {@code "localhost"}) that the SSRF guard lets through although they are private
 * @param s3 buckets and store settings for {@code s3://} references
 */
public record FetchOptions(
    List<Path> allowedRoots,
    long maxBytes,
    int connectTimeoutMs,
    int readTimeoutMs,
    int maxRedirects,
    List<String> allowedTargets,
    S3Options s3) {

  /** 20 MiB: a large camera JPEG fits, a decompression bomb's container does not. */
  public static final long DEFAULT_MAX_BYTES = 20L * 1024 * 1024;
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
  public static final int DEFAULT_READ_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_MAX_REDIRECTS = 5;

  public FetchOptions {
    allowedRoots = List.copyOf(Objects.requireNonNull(allowedRoots, "allowedRoots"));
    allowedTargets = List.copyOf(Objects.requireNonNull(allowedTargets, "allowedTargets"));
    Objects.requireNonNull(s3, "s3");
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be > 0: " + maxBytes);
    }
    if (connectTimeoutMs <= 0 || readTimeoutMs <= 0) {
      throw new IllegalArgumentException("timeouts must be > 0 ms");
    }
    if (maxRedirects < 0) {
      throw new IllegalArgumentException("maxRedirects must be >= 0: " + maxRedirects);
    }
  }

  /** No file roots, no SSRF exemptions, no buckets, 20 MiB, 5 s connect, 10 s read, 5 redirects. */
  public static FetchOptions defaults() {
    return new FetchOptions(List.of(), DEFAULT_MAX_BYTES, DEFAULT_CONNECT_TIMEOUT_MS,
        DEFAULT_READ_TIMEOUT_MS, DEFAULT_MAX_REDIRECTS, List.of(), S3Options.disabled());
  }

  /**
   * The longest a fetch may take start to end: a body still streaming after this fails with
   * {@code FETCH_TIMEOUT}, however steadily it trickles.
   */
  public long budgetMs() {
    return connectTimeoutMs + 2L * readTimeoutMs;
  }

  public FetchOptions withAllowedRoots(List<Path> roots) {
    return new FetchOptions(roots, maxBytes, connectTimeoutMs, readTimeoutMs, maxRedirects,
        allowedTargets, s3);
  }

  public FetchOptions withAllowedTargets(List<String> targets) {
    return new FetchOptions(allowedRoots, maxBytes, connectTimeoutMs, readTimeoutMs, maxRedirects,
        targets, s3);
  }

  public FetchOptions withMaxBytes(long bytes) {
    return new FetchOptions(allowedRoots, bytes, connectTimeoutMs, readTimeoutMs, maxRedirects,
        allowedTargets, s3);
  }

  public FetchOptions withS3(S3Options options) {
    return new FetchOptions(allowedRoots, maxBytes, connectTimeoutMs, readTimeoutMs, maxRedirects,
        allowedTargets, options);
  }

  public FetchOptions withTimeouts(int connectMs, int readMs) {
    return new FetchOptions(allowedRoots, maxBytes, connectMs, readMs, maxRedirects,
        allowedTargets, s3);
  }
}
