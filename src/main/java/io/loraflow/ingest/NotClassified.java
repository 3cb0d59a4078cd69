package io.loraflow.ingest;

/**
 * A record that asks for no classification, and is no error: an S3 bucket notification of an
 * event other than {@code ObjectCreated} (a delete), or S3's own test event. Its offset completes
 * without an outcome (a dead letter for every delete of a watched bucket would bury the real
 * ones); it is counted by {@link #reason}, a fixed label, never the producer's text.
 */
public final class NotClassified extends RuntimeException {
  private final String reason;

  NotClassified(String reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** The metric label: {@code s3_not_object_created} or {@code s3_test_event}. */
  public String reason() {
    return reason;
  }
}
