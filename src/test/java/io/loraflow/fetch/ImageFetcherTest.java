package io.loraflow.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP fetches against a Vert.x server on 127.0.0.1 (allowlisted unless a test says not). */
class ImageFetcherTest {
  private static final List<String> LOOPBACK = List.of("127.0.0.1/32");

  private Vertx vertx;
  private HttpServer server;
  private byte[] png;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    png = Files.readAllBytes(Path.of("src/test/resources/images/rgb.png"));
  }

  @AfterEach
  void stop() throws Exception {
    get(vertx.close());
  }

  private int serve(Consumer<HttpServerRequest> handler) throws Exception {
    server = get(vertx.createHttpServer().requestHandler(handler::accept).listen(0, "127.0.0.1"));
    return server.actualPort();
  }

  private ImageFetcher fetcher(FetchOptions options) {
    return new ImageFetcher(vertx, options);
  }

  private static FetchOptions allowLoopback() {
    return FetchOptions.defaults().withAllowedTargets(LOOPBACK);
  }

  static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  static StageException failure(Future<?> future) throws Exception {
    try {
      get(future);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StageException s) {
        return s;
      }
      throw e;
    }
    return fail("expected a failure");
  }

  private StageException fetchFails(FetchOptions options, String url) throws Exception {
    return failure(fetcher(options).fetch(ImageReference.parse(url)));
  }

  @Test
  void testFetchesImage() throws Exception {
    int port = serve(req -> req.response().putHeader("Content-Type", "image/png")
        .end(Buffer.buffer(png)));
    Buffer body = get(fetcher(allowLoopback()).fetch(
        ImageReference.parse("http://127.0.0.1:" + port + "/a.png")));
    assertArrayEquals(png, body.getBytes());
  }

  @Test
  void testNotFoundIsPermanentFetchFailed() throws Exception {
    int port = serve(req -> req.response().setStatusCode(404).end("nope"));
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/missing.png");
    assertEquals(Reason.FETCH_FAILED, e.reason());
    assertTrue(!e.isTransient());
  }

  @Test
  void testServerErrorIsTransient() throws Exception {
    int port = serve(req -> req.response().setStatusCode(503).end());
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/a.png");
    assertEquals(Reason.FETCH_FAILED, e.reason());
    assertTrue(e.isTransient());
  }

  @Test
  void testServerThatNeverAnswersTimesOut() throws Exception {
    int port = serve(req -> { });
    FetchOptions options = allowLoopback().withTimeouts(1_000, 500);
    StageException e = fetchFails(options, "http://127.0.0.1:" + port + "/slow.png");
    assertEquals(Reason.FETCH_TIMEOUT, e.reason());
    assertTrue(e.isTransient());
  }

  @Test
  void testTricklingServerHitsTheFetchDeadline() throws Exception {
    int port = serve(req -> {
      req.response().setChunked(true).write(Buffer.buffer(png).getBuffer(0, 100));
      long timer = vertx.setPeriodic(100, id -> req.response().write("x"));
      req.connection().closeHandler(v -> vertx.cancelTimer(timer));
    });
    FetchOptions options = allowLoopback().withTimeouts(300, 400);
    StageException e = fetchFails(options, "http://127.0.0.1:" + port + "/trickle.png");
    assertEquals(Reason.FETCH_TIMEOUT, e.reason());
    assertTrue(e.isTransient());
  }

  @Test
  void testBodyOverLimitIsTooLargeWhileStreaming() throws Exception {
    int port = serve(req -> {
      req.response().setChunked(true);
      for (int i = 0; i < 64; i++) {
        req.response().write(Buffer.buffer(png));
      }
      req.response().end();
    });
    StageException e = fetchFails(allowLoopback().withMaxBytes(100_000),
        "http://127.0.0.1:" + port + "/big.png");
    assertEquals(Reason.TOO_LARGE, e.reason());
  }

  @Test
  void testDeclaredLengthOverLimitIsTooLarge() throws Exception {
    int port = serve(req -> req.response().end(Buffer.buffer(png)));
    StageException e = fetchFails(allowLoopback().withMaxBytes(1_000),
        "http://127.0.0.1:" + port + "/big.png");
    assertEquals(Reason.TOO_LARGE, e.reason());
  }

  @Test
  void testRedirectLoopFails() throws Exception {
    int port = serve(req -> req.response().setStatusCode(302)
        .putHeader("Location", req.path().equals("/a") ? "/b" : "/a").end());
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/a");
    assertEquals(Reason.FETCH_FAILED, e.reason());
  }

  @Test
  void testRedirectsAreFollowedUpToTheLimit() throws Exception {
    int port = serve(req -> {
      int n = Integer.parseInt(req.path().substring(1));
      if (n == 0) {
        req.response().end(Buffer.buffer(png));
      } else {
        req.response().setStatusCode(301).putHeader("Location", "/" + (n - 1)).end();
      }
    });
    String base = "http://127.0.0.1:" + port + "/";
    assertEquals(png.length, get(fetcher(allowLoopback()).fetch(
        ImageReference.parse(base + "5"))).length());
    assertEquals(Reason.FETCH_FAILED, fetchFails(allowLoopback(), base + "6").reason());
  }

  @Test
  void testRedirectToMetadataAddressIsForbidden() throws Exception {
    int port = serve(req -> req.response().setStatusCode(302)
        .putHeader("Location", "http://169.254.169.254/latest/meta-data/").end());
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/x");
    assertEquals(Reason.FORBIDDEN_TARGET, e.reason());
  }

  @Test
  void testRedirectToFileIsForbidden() throws Exception {
    int port = serve(req -> req.response().setStatusCode(302)
        .putHeader("Location", "file:///etc/passwd").end());
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/x");
    assertEquals(Reason.FORBIDDEN_TARGET, e.reason());
  }

  @Test
  void testLoopbackWithoutAllowlistIsForbidden() throws Exception {
    int port = serve(req -> req.response().end(Buffer.buffer(png)));
    StageException e = fetchFails(FetchOptions.defaults(), "http://127.0.0.1:" + port + "/a.png");
    assertEquals(Reason.FORBIDDEN_TARGET, e.reason());
    assertEquals(Reason.FORBIDDEN_TARGET,
        fetchFails(FetchOptions.defaults(), "http://localhost:" + port + "/a.png").reason());
  }

  @Test
  void testAllowlistedHostNameIsAllowed() throws Exception {
    int port = serve(req -> req.response().end(Buffer.buffer(png)));
    FetchOptions options = FetchOptions.defaults().withAllowedTargets(List.of("localhost"));
    assertEquals(png.length, get(fetcher(options).fetch(
        ImageReference.parse("http://localhost:" + port + "/a.png"))).length());
  }

  @Test
  void testHtmlBodyIsUnsupportedFormat() throws Exception {
    int port = serve(req -> req.response().putHeader("Content-Type", "application/octet-stream")
        .end("<html>not an image</html>"));
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/a.png");
    assertEquals(Reason.UNSUPPORTED_FORMAT, e.reason());
  }

  @Test
  void testConnectionRefusedIsTransientFetchFailed() throws Exception {
    int port = serve(req -> { });
    get(server.close());
    StageException e = fetchFails(allowLoopback(), "http://127.0.0.1:" + port + "/a.png");
    assertEquals(Reason.FETCH_FAILED, e.reason());
    assertTrue(e.isTransient());
  }

  @Test
  void testDataUri() throws Exception {
    String uri = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png);
    assertArrayEquals(png, get(fetcher(FetchOptions.defaults()).fetch(
        ImageReference.parse(uri))).getBytes());
    assertEquals(Reason.TOO_LARGE, failure(fetcher(FetchOptions.defaults().withMaxBytes(100))
        .fetch(ImageReference.parse(uri))).reason());
  }

  @Test
  void testInlineRecordBytesObeyTheSizeLimit() throws Exception {
    assertArrayEquals(png, get(fetcher(FetchOptions.defaults()).fetch(ImageReference.inline(png))).getBytes());
    assertEquals(Reason.TOO_LARGE, failure(fetcher(FetchOptions.defaults().withMaxBytes(100))
        .fetch(ImageReference.inline(png))).reason());
  }
}
