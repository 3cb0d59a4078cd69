package io.loraflow.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * How S3's answers map to dead-letter reasons. A skewed clock or expired session credentials are
 * the instance's fault, not the event's: retried, not dead-lettered at once as forbidden (every
 * s3:// event would be, until a restart).
 */
class S3ErrorsTest {
  @Test
  void clockAndSessionFaultsAreRetriedOthersKeepTheirReason() {
    for (String code : new String[] {"RequestTimeTooSkewed", "ExpiredToken"}) {
      StageException e = S3Errors.map(error(403, code), "s3://b/k");
      assertEquals(Reason.FETCH_FAILED, e.reason(), code);
      assertTrue(e.isTransient(), code + " is retried");
    }
    StageException denied = S3Errors.map(error(403, "AccessDenied"), "s3://b/k");
    assertEquals(Reason.FORBIDDEN_TARGET, denied.reason());
    assertFalse(denied.isTransient());
    StageException missing = S3Errors.map(error(404, "NoSuchKey"), "s3://b/k");
    assertEquals(Reason.FETCH_FAILED, missing.reason());
    assertFalse(missing.isTransient(), "a missing key is not retried");
    assertTrue(S3Errors.map(error(503, "SlowDown"), "s3://b/k").isTransient());
  }

  private static S3Exception error(int status, String code) {
    return (S3Exception) S3Exception.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build())
        .message(code).build();
  }
}
