package io.loraflow.fetch;

import static io.loraflow.fetch.ImageFetcherTest.failure;
import static io.loraflow.fetch.ImageFetcherTest.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File references: only inside the allowed roots, whatever the spelling. */
class FileSourceTest {
  @TempDir
  Path tmp;

  private Vertx vertx;
  private Path root;
  private Path secret;
  private ImageFetcher fetcher;
  private final byte[] bytes = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    root = Files.createDirectories(tmp.resolve("root"));
    Files.createDirectories(root.resolve("sub"));
    Files.write(root.resolve("sub/a.png"), bytes);
    secret = Files.write(tmp.resolve("secret.png"), bytes);
    fetcher = new ImageFetcher(vertx, FetchOptions.defaults().withAllowedRoots(List.of(root)));
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  /** The dead-letter reason, whether parsing or fetching refuses the reference. */
  private Reason reason(String ref) throws Exception {
    try {
      return failure(fetcher.fetch(ImageReference.parse(ref))).reason();
    } catch (StageException e) {
      return e.reason();
    }
  }

  @Test
  void testReadsAbsolutePathFileUriAndRelativePath() throws Exception {
    Path file = root.resolve("sub/a.png");
    assertArrayEquals(bytes, get(fetcher.fetch(ImageReference.parse(file.toString()))).getBytes());
    assertArrayEquals(bytes, get(fetcher.fetch(ImageReference.parse(file.toUri().toString())))
        .getBytes());
    assertArrayEquals(bytes, get(fetcher.fetch(ImageReference.parse("sub/a.png"))).getBytes());
  }

  @Test
  void testOutsideRootsIsForbidden() throws Exception {
    assertEquals(Reason.FORBIDDEN_TARGET, reason(secret.toString()));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file:///etc/passwd"));
  }

  @Test
  void testDotDotEscapeIsForbidden() throws Exception {
    assertEquals(Reason.FORBIDDEN_TARGET, reason(root + "/sub/../../secret.png"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("sub/../../secret.png"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file://" + root + "/../secret.png"));
  }

  @Test
  void testEncodedDotDotIsForbidden() throws Exception {
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file://" + root + "/%2e%2e/secret.png"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason("file://" + root + "/%252e%252e/secret.png"));
    assertEquals(Reason.FORBIDDEN_TARGET, reason(root + "/%2E%2E/secret.png"));
  }

  @Test
  void testSymlinkOutOfRootIsForbidden() throws Exception {
    Files.createSymbolicLink(root.resolve("link.png"), secret);
    Files.createSymbolicLink(root.resolve("linkdir"), tmp);
    assertEquals(Reason.FORBIDDEN_TARGET, reason(root.resolve("link.png").toString()));
    assertEquals(Reason.FORBIDDEN_TARGET, reason(root.resolve("linkdir/secret.png").toString()));
  }

  @Test
  void testMissingFileIsFileNotFoundAndADirectoryIsFetchFailed() throws Exception {
    assertEquals(Reason.FILE_NOT_FOUND, reason(root.resolve("nope.png").toString()));
    assertEquals(Reason.FETCH_FAILED, reason(root.resolve("sub").toString()));
  }

  @Test
  void testNoRootsMeansNoFiles() throws Exception {
    ImageFetcher none = new ImageFetcher(vertx, FetchOptions.defaults());
    assertEquals(Reason.FORBIDDEN_TARGET,
        failure(none.fetch(ImageReference.parse(root.resolve("sub/a.png").toString()))).reason());
  }

  @Test
  void testFileOverLimitIsTooLarge() throws Exception {
    ImageFetcher small = new ImageFetcher(vertx,
        FetchOptions.defaults().withAllowedRoots(List.of(root)).withMaxBytes(3));
    assertEquals(Reason.TOO_LARGE,
        failure(small.fetch(ImageReference.parse("sub/a.png"))).reason());
  }

  @Test
  void testSymlinksThatStayInsideARootAreRead() throws Exception {
    // openat2(RESOLVE_BENEATH) refuses absolute symlinks even into the root: the portable path
    // must still answer them as before.
    Files.createSymbolicLink(root.resolve("relative.png"), Path.of("sub/a.png"));
    Files.createSymbolicLink(root.resolve("absolute.png"), root.resolve("sub/a.png"));
    Files.createSymbolicLink(root.resolve("subdir"), root.resolve("sub"));
    for (String name : List.of("relative.png", "absolute.png", "subdir/a.png")) {
      assertArrayEquals(bytes, get(fetcher.fetch(ImageReference.parse(root.resolve(name).toString()))).getBytes(), name);
    }
  }

  @Test
  void testAFifoIsFetchFailedWithoutWaitingForAWriter() throws Exception {
    Path fifo = root.resolve("pipe.png");
    org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0);
    assertEquals(Reason.FETCH_FAILED, reason(fifo.toString()));
  }
}
