package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;

/**
 * Maps a failed GetObject to a {@link StageException}; stateless. Missing objects, buckets and
 * versions are permanent {@code FETCH_FAILED}; 401/403 (access denied, unknown key, bad
 * signature) are {@code FORBIDDEN_TARGET}; throttling and 5xx ({@code SlowDown},
 * {@code InternalError}, 503) are transient {@code FETCH_FAILED}, retried by the caller; other 4xx
 * permanent. Transport failures map as for HTTP ({@link FetchErrors}).
 */
final class S3Errors {
  private static final Set<String> MISSING = Set.of("NoSuchKey", "NoSuchBucket", "NoSuchVersion");
  private static final Set<String> THROTTLED =
      Set.of("SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "TooManyRequests");

  private S3Errors() {}

  /** Faults of the instance's clock or session credentials that pass with time. */
  private static final Set<String> PASSING = Set.of("RequestTimeTooSkewed", "ExpiredToken",
      "TokenRefreshRequired");

  static StageException map(Throwable error, String what) {
    // The SDK wraps what S3Body fails with (TOO_LARGE, the deadline) in its own exceptions.
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof StageException stage) {
        return stage;
      }
    }
    Throwable err = unwrap(error);
    if (err instanceof ApiCallTimeoutException || err instanceof ApiCallAttemptTimeoutException) {
      return new StageException(Reason.FETCH_TIMEOUT, "timed out fetching " + what, true, err);
    }
    if (err instanceof AwsServiceException aws) {
      int status = aws.statusCode();
      String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
      String message = "S3 " + status + (code == null ? "" : " " + code) + " for " + what;
      if (code != null && PASSING.contains(code)) {
        // The instance's clock or credentials, not the event: retried (the SDK corrects its
        // clock offset, a credentials provider refreshes), never blamed on the event at once.
        return new StageException(Reason.FETCH_FAILED, message, true, err);
      }
      if (code != null && MISSING.contains(code) || status == 404) {
        return new StageException(Reason.FETCH_FAILED, message, false, err);
      }
      if (status == 401 || status == 403) {
        return new StageException(Reason.FORBIDDEN_TARGET, message, false, err);
      }
      boolean transientFault = status >= 500 || status == 429 || status == 408
          || code != null && THROTTLED.contains(code);
      return new StageException(Reason.FETCH_FAILED, message, transientFault, err);
    }
    return FetchErrors.map(err, what);
  }

  private static Throwable unwrap(Throwable err) {
    Throwable t = err;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
