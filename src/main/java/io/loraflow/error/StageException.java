package io.loraflow.error;

/**
 * A per-event failure with its dead-letter reason. Stages fail the event's future with this; the
 * publish stage turns it into a dead-letter record. {@code transientFault} marks faults worth a
 * retry (HTTP 5xx/429, timeouts, connection resets).
 */
public class StageException extends RuntimeException {
  private final Reason reason;
  private final boolean transientFault;

  public StageException(Reason reason, String message) {
    this(reason, message, false, null);
  }

  public StageException(Reason reason, String message, boolean transientFault, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
    this.transientFault = transientFault;
  }

  public Reason reason() {
    return reason;
  }

  public boolean isTransient() {
    return transientFault;
  }

  @Override
  public String toString() {
    return reason + ": " + getMessage();
  }
}
