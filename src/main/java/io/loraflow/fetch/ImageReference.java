package io.loraflow.fetch;

import io.loraflow.error.StageException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Where an event's image comes from. {@link #parse} is purely syntactic: it never touches the
 * network or the file system; permissions (roots, SSRF) are checked by {@link ImageFetcher}.
 * Encoded path tricks ({@code %2e%2e}, {@code %2f}, {@code %00}) are refused here with
 * {@code FORBIDDEN_TARGET} because no legitimate reference needs them.
 */
public sealed interface ImageReference {

  /** An http or https URL with a host. */
  record Http(URI uri) implements ImageReference {}

  /** A local path, absolute or relative to the first allowed root; already percent-decoded. */
  record LocalFile(Path path) implements ImageReference {}

  /**
   * An object in S3 or an S3-compatible store: {@code s3://bucket/key}, the key taken literally
   * as the AWS CLI does (spaces, {@code +}, {@code %} and unicode are part of it), with an
   * optional trailing {@code ?versionId=…}.
   *
   * @param versionId the object version to read; null for the current one
   */
  record S3Object(String bucket, String key, String versionId) implements ImageReference {
    @Override
    public String toString() {
      return "s3://" + bucket + "/" + key + (versionId == null ? "" : "?versionId=" + versionId);
    }
  }

  /** A {@code data:} URI; {@code base64} is the payload text after the comma. */
  record Data(String mediaType, String base64) implements ImageReference {}

  /** A record whose value is the image itself (content-type {@code image/*}). */
  record Inline(byte[] bytes) implements ImageReference {}

  /** Wraps the bytes of a record that carries the image itself. */
  static ImageReference inline(byte[] bytes) {
    return new Inline(bytes);
  }

  /**
   * Parses a reference: http/https URL, {@code s3://} object, {@code file:} URI, plain path or
   * base64 {@code data:} URI.
   *
   * @throws StageException {@code UNSUPPORTED_SCHEME} for any other scheme or a malformed
   *     reference, {@code FORBIDDEN_TARGET} for encoded path tricks
   */
  static ImageReference parse(String ref) {
    return ReferenceParser.parse(ref);
  }
}
