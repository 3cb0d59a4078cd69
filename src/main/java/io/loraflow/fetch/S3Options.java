package io.loraflow.fetch;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@code s3://} references are read.
 *
 * @param allowedBuckets buckets that references may name; empty means no S3 access at all
 * @param endpoint an S3-compatible store's URL (MinIO, Ceph RGW, R2); empty for AWS itself
 * @param pathStyle address buckets as {@code endpoint/bucket/key} instead of
 *     {@code bucket.endpoint/key} (MinIO and most self-hosted stores need it)
 * @param region the signing region; empty means the SDK's default region chain
 * @param checksumsWhenRequired compute request and validate response checksums only when an
 *     operation requires them; stores that do not implement the SDK's newer checksum headers
 *     fail every call otherwise
 */
public record S3Options(
    List<String> allowedBuckets,
    Optional<URI> endpoint,
    boolean pathStyle,
    Optional<String> region,
    boolean checksumsWhenRequired) {

  public S3Options {
    allowedBuckets = List.copyOf(Objects.requireNonNull(allowedBuckets, "allowedBuckets"));
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(region, "region");
  }

  /** No bucket allowed: every {@code s3://} reference is {@code FORBIDDEN_TARGET}. */
  public static S3Options disabled() {
    return new S3Options(List.of(), Optional.empty(), false, Optional.empty(), true);
  }

  public boolean enabled() {
    return !allowedBuckets.isEmpty();
  }
}
