package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Maps transport failures of a fetch (HTTP or S3) to a {@link StageException}; stateless. */
final class FetchErrors {
  private FetchErrors() {}

  /**
   * Timeouts (connect or idle) become transient {@code FETCH_TIMEOUT}; TLS failures permanent
   * {@code FETCH_FAILED}; refused or reset connections and other I/O errors transient
   * {@code FETCH_FAILED}. A {@link StageException} passes through unchanged.
   */
  static StageException map(Throwable err, Object target) {
    if (err instanceof StageException stage) {
      return stage;
    }
    if (isTimeout(err)) {
      return new StageException(Reason.FETCH_TIMEOUT, "timed out fetching " + target, true, err);
    }
    if (err instanceof SSLException) {
      return new StageException(Reason.FETCH_FAILED, "TLS failure for " + target + ": "
          + err.getMessage(), false, err);
    }
    String what = err instanceof ConnectException ? "cannot connect to " : "transport error for ";
    return new StageException(Reason.FETCH_FAILED, what + target + ": " + err, true, err);
  }

  private static boolean isTimeout(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName().toLowerCase(Locale.ROOT);
      String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (t instanceof TimeoutException || name.contains("timeout")
          || message.contains("timed out") || message.contains("timeout")) {
        return true;
      }
    }
    return false;
  }
}
