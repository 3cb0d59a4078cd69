package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.fetch.ImageReference.Data;
import io.loraflow.fetch.ImageReference.Http;
import io.loraflow.fetch.ImageReference.LocalFile;
import io.loraflow.fetch.ImageReference.S3Object;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/** The syntax behind {@link ImageReference#parse}; stateless, any thread. */
final class ReferenceParser {
  private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*):");
  /** Encoded dot, slash, backslash, percent and NUL: only path tricks need them. */
  /** S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens. */
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final String VERSION = "?versionId=";
  /** S3's longest key, in UTF-8 bytes. */
  private static final int MAX_KEY_BYTES = 1024;
  private static final Pattern ENCODED_TRICK = Pattern.compile("(?i)%(2e|2f|5c|25|00)");

  private ReferenceParser() {}

  static ImageReference parse(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "empty image reference");
    }
    String text = ref.strip();
    var scheme = SCHEME.matcher(text);
    if (!scheme.find()) {
      return localFile(text, text);
    }
    switch (scheme.group(1).toLowerCase(Locale.ROOT)) {
      case "http":
      case "https":
        return http(text);
      case "s3":
        return s3(text);
      case "file":
        return fileUri(text);
      case "data":
        return data(text);
      default:
        throw new StageException(Reason.UNSUPPORTED_SCHEME,
            "unsupported scheme: " + scheme.group(1));
    }
  }

  private static Http http(String text) {
    URI uri = uri(text);
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "URL without host: " + text);
    }
    return new Http(uri);
  }

  private static S3Object s3(String text) {
    if (!text.regionMatches(true, 0, "s3://", 0, 5)) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "expected s3://bucket/key: " + text);
    }
    String rest = text.substring(5);
    int slash = rest.indexOf('/');
    if (slash < 0 || slash == rest.length() - 1) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "s3 reference without a key: " + text);
    }
    String bucket = rest.substring(0, slash);
    String key = rest.substring(slash + 1);
    String version = null;
    int v = key.lastIndexOf(VERSION);
    if (v >= 0) {
      version = key.substring(v + VERSION.length());
      key = key.substring(0, v);
      if (version.isEmpty() || key.isEmpty()) {
        throw new StageException(Reason.UNSUPPORTED_SCHEME, "empty key or versionId: " + text);
      }
    }
    return s3Object(bucket, key, version);
  }

  /** An S3 object named by parts (a bucket notification); the same checks as an s3:// text. */
  static S3Object s3Object(String bucket, String key, String version) {
    if (!BUCKET.matcher(bucket).matches()) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "invalid bucket name: " + bucket);
    }
    if (key.isEmpty() || key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES
        || key.indexOf('\0') >= 0) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME,
          "S3 key must be 1-" + MAX_KEY_BYTES + " UTF-8 bytes without NUL: " + key);
    }
    return new S3Object(bucket, key, version);
  }

  private static LocalFile fileUri(String text) {
    URI uri = uri(text);
    String host = uri.getHost();
    if (host != null && !host.isEmpty() && !host.equalsIgnoreCase("localhost")) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "remote file URI: " + text);
    }
    if (uri.getRawPath() == null || uri.getRawPath().isEmpty()) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "file URI without path: " + text);
    }
    return localFile(uri.getRawPath(), uri.getPath());
  }

  private static LocalFile localFile(String raw, String decoded) {
    if (ENCODED_TRICK.matcher(raw).find() || decoded.indexOf('\0') >= 0) {
      throw new StageException(Reason.FORBIDDEN_TARGET, "encoded path trick: " + raw);
    }
    try {
      return new LocalFile(Path.of(decoded));
    } catch (InvalidPathException e) {
      throw new StageException(Reason.FORBIDDEN_TARGET, "invalid path: " + raw);
    }
  }

  private static Data data(String text) {
    int comma = text.indexOf(',');
    if (comma < 0) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "data URI without payload");
    }
    String meta = text.substring(5, comma);
    if (!meta.toLowerCase(Locale.ROOT).endsWith(";base64")) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "data URI is not base64");
    }
    String mediaType = meta.substring(0, meta.length() - ";base64".length());
    return new Data(mediaType, text.substring(comma + 1));
  }

  private static URI uri(String text) {
    try {
      return new URI(text);
    } catch (URISyntaxException e) {
      throw new StageException(Reason.UNSUPPORTED_SCHEME, "malformed URI: " + e.getMessage());
    }
  }
}
