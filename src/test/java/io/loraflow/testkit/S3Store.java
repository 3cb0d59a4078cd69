package io.loraflow.testkit;

import io.loraflow.config.LoraflowConfig;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-compatible server in the test JVM: S3Proxy over an in-memory blob store, on a free
 * port of 127.0.0.1, checking AWS signatures (v2 and v4) against one access key. The service
 * under test finds its credentials through the SDK's default chain: {@link #useCredentials} sets
 * the {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties, the chain's first link.
 */
public final class S3Store implements AutoCloseable {
  public static final String ACCESS_KEY = "loraflow-test";
  public static final String SECRET_KEY = "loraflow-test-secret";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  private S3Store(String accessKey, String secretKey) throws Exception {
    Properties props = new Properties();
    context = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
        .overrides(props).build(BlobStoreContext.class);
    proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!proxy.getState().equals("STARTED")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
  }

  /** A store that accepts {@link #ACCESS_KEY}/{@link #SECRET_KEY}. */
  public static S3Store start() throws Exception {
    useCredentials();
    return new S3Store(ACCESS_KEY, SECRET_KEY);
  }

  /** A store that accepts another key pair only: every call of the service is refused. */
  public static S3Store startWithOtherCredentials() throws Exception {
    useCredentials();
    return new S3Store("someone-else", "someone-elses-secret");
  }

  /** Points the SDK's default credentials chain at {@link #ACCESS_KEY}. */
  public static void useCredentials() {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
  }

  public String endpoint() {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  /**
   * Service settings that read bucket {@code images} through {@code endpoint} (this store, or a
   * proxy in front of it), path-style, in us-east-1.
   */
  public static void configure(Map<String, String> settings, String endpoint) {
    settings.put(LoraflowConfig.FETCH_S3_ALLOWED_BUCKETS, "images");
    settings.put(LoraflowConfig.FETCH_S3_ENDPOINT, endpoint);
    settings.put(LoraflowConfig.FETCH_S3_PATH_STYLE, "true");
    settings.put(LoraflowConfig.FETCH_S3_REGION, "us-east-1");
  }

  /**
   * Passes {@code req} on to this store and its answer back, for a proxy in front of it; the Host
   * header is kept, so the request's signature still matches.
   */
  public void forward(HttpClient client, HttpServerRequest req) {
    client.request(new RequestOptions().setMethod(req.method()).setHost("127.0.0.1").setPort(proxy.getPort())
            .setURI(req.uri()).setHeaders(req.headers()))
        .compose(up -> up.send())
        .onSuccess(up -> {
          req.response().setStatusCode(up.statusCode()).headers().setAll(up.headers());
          up.body().onSuccess(b -> req.response().end(b));
        })
        .onFailure(err -> req.response().setStatusCode(502).end());
  }

  public S3Store bucket(String name) {
    blobs().createContainerInLocation(null, name);
    return this;
  }

  public S3Store put(String bucket, String key, byte[] bytes) {
    blobs().putBlob(bucket, blobs().blobBuilder(key).payload(bytes).contentLength(bytes.length).build());
    return this;
  }

  private BlobStore blobs() {
    return context.getBlobStore();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
