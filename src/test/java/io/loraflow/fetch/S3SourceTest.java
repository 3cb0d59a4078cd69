package io.loraflow.fetch;

import static io.loraflow.fetch.ImageFetcherTest.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.testkit.S3Store;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** s3:// fetches against S3Proxy, a real S3-compatible server, and against stores that misbehave. */
class S3SourceTest {
  private static final String BUCKET = "images";
  private static final List<String> KEYS =
      List.of("cats/a cat.png", "ünïcødé/猫.png", "plus+sign.png", "percent%20kept.png");
  private static S3Store store;
  private static byte[] png;

  private Vertx vertx;
  private final List<ImageFetcher> fetchers = new ArrayList<>();

  @BeforeAll
  static void startStore() throws Exception {
    png = Files.readAllBytes(Path.of("src/test/resources/images/rgb.png"));
    store = S3Store.start().bucket(BUCKET).bucket("empty");
    KEYS.forEach(k -> store.put(BUCKET, k, png));
    store.put(BUCKET, "big.png", new byte[300_000]);
  }

  @AfterAll
  static void stopStore() throws Exception {
    store.close();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    S3Store.useCredentials();
  }

  @AfterEach
  void stop() throws Exception {
    for (ImageFetcher f : fetchers) {
      get(f.close());
    }
    get(vertx.close());
  }

  private ImageFetcher fetcher(String endpoint, List<String> buckets) {
    return fetcher(FetchOptions.defaults(), endpoint, buckets);
  }

  private ImageFetcher fetcher(FetchOptions base, String endpoint, List<String> buckets) {
    ImageFetcher f = new ImageFetcher(vertx, base.withS3(new S3Options(buckets,
        Optional.of(URI.create(endpoint)), true, Optional.of("us-east-1"), true)));
    fetchers.add(f);
    return f;
  }

  private static StageException failure(ImageFetcher fetcher, String ref) throws Exception {
    try {
      get(fetcher.fetch(ImageReference.parse(ref)));
    } catch (ExecutionException e) {
      return (StageException) e.getCause();
    }
    return fail("expected a failed fetch of " + ref);
  }

  @Test
  void readsObjectsWhoseKeysHoldSpacesUnicodePlusAndPercent() throws Exception {
    ImageFetcher fetcher = fetcher(store.endpoint(), List.of(BUCKET));
    for (String key : KEYS) {
      Buffer body = get(fetcher.fetch(ImageReference.parse("s3://" + BUCKET + "/" + key)));
      assertArrayEquals(png, body.getBytes(), key);
    }
  }

  @Test
  void aMissingKeyOrBucketIsAPermanentFetchFailure() throws Exception {
    ImageFetcher fetcher = fetcher(store.endpoint(), List.of(BUCKET, "nosuchbucket"));
    StageException key = failure(fetcher, "s3://images/no/such key.png");
    assertEquals(Reason.FETCH_FAILED, key.reason());
    assertFalse(key.isTransient(), "a missing key is not retried");
    assertTrue(key.getMessage().contains("NoSuchKey"), key.getMessage());
    StageException bucket = failure(fetcher, "s3://nosuchbucket/a.png");
    assertEquals(Reason.FETCH_FAILED, bucket.reason());
    assertFalse(bucket.isTransient());
    assertTrue(bucket.getMessage().contains("NoSuchBucket"), bucket.getMessage());
  }

  @Test
  void onlyAllowedBucketsAreRead() throws Exception {
    StageException outside = failure(fetcher(store.endpoint(), List.of("empty")),
        "s3://images/plus+sign.png");
    assertEquals(Reason.FORBIDDEN_TARGET, outside.reason());
    assertTrue(outside.getMessage().contains("fetch.s3.allowed.buckets"), outside.getMessage());
    StageException disabled = failure(new ImageFetcher(vertx, FetchOptions.defaults()),
        "s3://images/plus+sign.png");
    assertEquals(Reason.FORBIDDEN_TARGET, disabled.reason());
  }

  @Test
  void wrongCredentialsAreForbidden() throws Exception {
    try (S3Store other = S3Store.startWithOtherCredentials().bucket(BUCKET)) {
      other.put(BUCKET, "a.png", png);
      StageException e = failure(fetcher(other.endpoint(), List.of(BUCKET)), "s3://images/a.png");
      assertEquals(Reason.FORBIDDEN_TARGET, e.reason(), e.getMessage());
      assertFalse(e.isTransient());
    }
  }

  @Test
  void anObjectOverTheCapIsTooLargeFromItsSize() throws Exception {
    ImageFetcher fetcher = fetcher(FetchOptions.defaults().withMaxBytes(100_000), store.endpoint(),
        List.of(BUCKET));
    StageException e = failure(fetcher, "s3://images/big.png");
    assertEquals(Reason.TOO_LARGE, e.reason(), e.getMessage());
    assertArrayEquals(png, get(fetcher.fetch(ImageReference.parse("s3://images/plus+sign.png"))).getBytes(),
        "the client is still usable");
  }

  @Test
  void aBodyThatStreamsPastTheCapIsCutOff() throws Exception {
    // No Content-Length: only counting the streamed bytes can stop it.
    int port = serve(req -> {
      req.response().setChunked(true).putHeader("Content-Type", "image/png");
      for (int i = 0; i < 50; i++) {
        req.response().write(Buffer.buffer(new byte[10_000]));
      }
      req.response().end();
    });
    ImageFetcher fetcher = fetcher(FetchOptions.defaults().withMaxBytes(100_000),
        "http://127.0.0.1:" + port, List.of(BUCKET));
    StageException e = failure(fetcher, "s3://images/endless.png");
    assertEquals(Reason.TOO_LARGE, e.reason(), e.getMessage());
  }

  @Test
  void throttlingAndServerErrorsAreTransientAndNotRetriedBySdk() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    int port = serve(req -> {
      calls.incrementAndGet();
      req.response().setStatusCode(503).putHeader("Content-Type", "application/xml")
          .end("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
              + "<Message>Please reduce your request rate.</Message></Error>");
    });
    StageException e = failure(fetcher("http://127.0.0.1:" + port, List.of(BUCKET)),
        "s3://images/a.png");
    assertEquals(Reason.FETCH_FAILED, e.reason());
    assertTrue(e.isTransient(), "the caller's fetch.retries retries it");
    assertTrue(e.getMessage().contains("SlowDown"), e.getMessage());
    assertEquals(1, calls.get(), "one request: retries are the caller's, with its backoff");
  }

  @Test
  void aStoreThatNeverAnswersTimesOut() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      List<Socket> held = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept());
          }
        } catch (Exception closed) {
          // the test is over
        }
      });
      acceptor.start();
      ImageFetcher fetcher = fetcher(FetchOptions.defaults().withTimeouts(500, 500),
          "http://127.0.0.1:" + silent.getLocalPort(), List.of(BUCKET));
      long start = System.nanoTime();
      StageException e = failure(fetcher, "s3://images/a.png");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Reason.FETCH_TIMEOUT, e.reason(), e.getMessage());
      assertTrue(e.isTransient());
      assertTrue(ms < 5_000, "gave up after " + ms + " ms");
    }
  }

  private int serve(Consumer<HttpServerRequest> handler) throws Exception {
    HttpServer server = get(vertx.createHttpServer().requestHandler(handler::accept)
        .listen(0, "127.0.0.1"));
    return server.actualPort();
  }
}
