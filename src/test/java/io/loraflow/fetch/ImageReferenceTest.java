package io.loraflow.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  private static Reason reason(String ref) {
    return assertThrows(StageException.class, () -> ImageReference.parse(ref)).reason();
  }

  @Test
  void testParsesSupportedForms() {
    assertInstanceOf(ImageReference.Http.class, ImageReference.parse("https://example.com/a.jpg"));
    assertInstanceOf(ImageReference.Http.class, ImageReference.parse("HTTP://example.com/a.jpg"));
    assertEquals(Path.of("/data/a b.jpg"),
        ((ImageReference.LocalFile) ImageReference.parse("file:///data/a%20b.jpg")).path());
    assertEquals(Path.of("/data/a.jpg"),
        ((ImageReference.LocalFile) ImageReference.parse("/data/a.jpg")).path());
    assertEquals(Path.of("img/a.jpg"),
        ((ImageReference.LocalFile) ImageReference.parse("img/a.jpg")).path());
    ImageReference.Data data =
        (ImageReference.Data) ImageReference.parse("data:image/png;base64,AAA=");
    assertEquals("image/png", data.mediaType());
    assertEquals("AAA=", data.base64());
  }

  @Test
  void testS3KeysAreTakenLiterallyWithAnOptionalVersion() {
    assertEquals(new ImageReference.S3Object("my-bucket", "cats/a b+c%20ü.jpg", null),
        ImageReference.parse("s3://my-bucket/cats/a b+c%20ü.jpg"));
    assertEquals(new ImageReference.S3Object("my.bucket", "a.jpg", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
        ImageReference.parse("S3://my.bucket/a.jpg?versionId=3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"));
    assertEquals("s3://b12/k?x=1?versionId=v",
        ImageReference.parse("s3://b12/k?x=1?versionId=v").toString());
  }

  @Test
  void testUnsupportedSchemes() {
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("ftp://example.com/a.jpg"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("gopher://example.com/"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("s3:bucket/key.jpg"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("s3://bucket"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("s3://bucket/"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("s3://Bad_Bucket/a.jpg"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("s3://bucket/a.jpg?versionId="));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("jar:file:/x.jar!/a.png"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("data:image/png,rawtext"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("file://otherhost/a.jpg"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason("http:///nohost"));
    assertEquals(Reason.UNSUPPORTED_SCHEME, reason(""));
  }

  @Test
  void testEncodedTricksAreForbidden() {
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file:///data/%2e%2e/etc/passwd"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file:///data/..%2fetc/passwd"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("/data/%2E%2E/etc/passwd"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file:///data/a%00.png"));
  }
}
