package io.loraflow.error;

/**
 * Why an event became a dead-letter record. The names are the contract of the dead-letter topic
 * (header {@code loraflow.reason} and field {@code reason}); never rename one.
 */
public enum Reason {
  /** The record is not a valid image request (malformed JSON, schema violation). */
  INVALID_EVENT(Stage.INGEST),
  /** The reference uses a scheme the service does not fetch. */
  UNSUPPORTED_SCHEME(Stage.FETCH),
  /** The reference points at an address or path the service must not read (SSRF, outside roots). */
  FORBIDDEN_TARGET(Stage.FETCH),
  /** A file reference names a file that does not exist (under an allowed root). */
  FILE_NOT_FOUND(Stage.FETCH),
  /** The image could not be fetched (HTTP 4xx/5xx, connection refused, too many redirects). */
  FETCH_FAILED(Stage.FETCH),
  /** The fetch did not finish within its timeout. */
  FETCH_TIMEOUT(Stage.FETCH),
  /** The body or the declared pixel count is over its configured limit. */
  TOO_LARGE(Stage.FETCH),
  /** The bytes are not an image format the service decodes. */
  UNSUPPORTED_FORMAT(Stage.DECODE),
  /** The bytes look like an image but do not decode (truncated, corrupt). */
  DECODE_FAILED(Stage.DECODE),
  /** The request names a task the model package does not serve. */
  UNKNOWN_TASK(Stage.INGEST),
  /** The event's deadline passed before inference. */
  EXPIRED(Stage.BATCH),
  /** The inference run failed for this event. */
  INFERENCE_FAILED(Stage.INFERENCE),
  /**
   * The result could not be published for a reason retrying cannot fix (larger than the
   * producer's {@code max.request.size}, say); the dead letter stands in for it.
   */
  PUBLISH_FAILED(Stage.PUBLISH),
  /**
   * Share groups only: the record was delivered more than {@code share.max.deliveries} times;
   * every earlier try ended without an outcome (the instance holding it crashed or stopped), so it
   * is not tried again.
   */
  DELIVERY_LIMIT(Stage.INGEST),
  /** An unexpected error in the service itself (a bug): the event is dead-lettered, not lost. */
  INTERNAL_ERROR(Stage.PUBLISH);

  private final Stage stage;

  Reason(Stage stage) {
    this.stage = stage;
  }

  /** The pipeline stage where this reason is raised. */
  public Stage stage() {
    return stage;
  }

  /** Pipeline stages, in flow order. */
  public enum Stage {
    INGEST, FETCH, DECODE, BATCH, INFERENCE, PUBLISH
  }
}
