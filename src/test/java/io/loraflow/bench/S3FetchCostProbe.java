package io.loraflow.bench;

import io.loraflow.fetch.FetchOptions;
import io.loraflow.fetch.ImageFetcher;
import io.loraflow.fetch.ImageReference;
import io.loraflow.fetch.S3Options;
import io.loraflow.testkit.S3Store;
import io.loraflow.testkit.TestImages;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetch cost only, no model: 2,000 fetches of 50 small images, 32 at a time, as {@code s3://}
 * from S3Proxy in this JVM and as files; three rounds, the last one is the figure. Prints the
 * rate and the CPU per fetch by thread group; then the SDK's four HTTP clients on their own
 * ({@link #compareClients}). Not part of {@code mvn test} (no Test suffix):
 * {@code mvn -o test -Dtest=S3FetchCostProbe -Dsurefire.failIfNoSpecifiedTests=false}, output in
 * target/surefire-reports/io.loraflow.bench.S3FetchCostProbe-output.txt.
 */
class S3FetchCostProbe {
  private static final int FETCHES = 2000;
  private static final int WINDOW = 32;

  @TempDir
  Path tmp;

  @Test
  void measure() throws Exception {
    Path dir = tmp.resolve("img");
    List<Path> images = TestImages.write(dir, 50);
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (S3Store store = S3Store.start().bucket("images")) {
      for (Path p : images) {
        store.put("images", p.getFileName().toString(), Files.readAllBytes(p));
      }
      Vertx vertx = Vertx.vertx();
      ImageFetcher fetcher = new ImageFetcher(vertx, FetchOptions.defaults()
          .withAllowedRoots(List.of(dir)).withS3(new S3Options(List.of("images"),
              Optional.of(URI.create(store.endpoint())), true, Optional.of("us-east-1"), true)));
      for (int round = 0; round < 3; round++) {
        for (String kind : List.of("file", "s3")) {
          round("round " + round + " " + kind, kind, os, k -> {
            String name = images.get(k % images.size()).getFileName().toString();
            return fetcher.fetch(ImageReference.parse(kind.equals("s3")
                ? "s3://images/" + name : dir.resolve(name).toString())).toCompletionStage().toCompletableFuture();
          });
        }
      }
      fetcher.close().toCompletionStage().toCompletableFuture().get();
      vertx.close().toCompletionStage().toCompletableFuture().get();
      compareClients(store, images, os);
    }
  }

  /**
   * The SDK's HTTP clients side by side, configured as S3Source configures its own (endpoint,
   * path style, checksums when required, no retries): the async ones (Netty, CRT) issue
   * {@value #WINDOW} GetObjects at once from one thread, the blocking ones (URLConnection, Apache)
   * from {@value #WINDOW} threads. Three rounds each, interleaved; the last one counts.
   */
  private static void compareClients(S3Store store, List<Path> images,
      com.sun.management.OperatingSystemMXBean os) throws Exception {
    URI endpoint = URI.create(store.endpoint());
    Map<String, java.util.function.Function<GetObjectRequest, CompletableFuture<?>>> clients =
        new java.util.LinkedHashMap<>();
    List<AutoCloseable> open = new ArrayList<>();
    S3AsyncClient netty = async(S3AsyncClient.builder().httpClientBuilder(NettyNioAsyncHttpClient.builder()
        .maxConcurrency(64)), endpoint);
    S3AsyncClient crt = async(S3AsyncClient.builder().httpClientBuilder(AwsCrtAsyncHttpClient.builder()
        .maxConcurrency(64)), endpoint);
    S3Client urlConnection = sync(S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()), endpoint);
    S3Client apache = sync(S3Client.builder().httpClientBuilder(ApacheHttpClient.builder().maxConnections(64)),
        endpoint);
    ExecutorService threads = Executors.newFixedThreadPool(WINDOW);
    open.addAll(List.<AutoCloseable>of(netty, crt, urlConnection, apache, threads::shutdown));
    clients.put("netty (async)", r -> netty.getObject(r, AsyncResponseTransformer.toBytes()));
    clients.put("crt (async)", r -> crt.getObject(r, AsyncResponseTransformer.toBytes()));
    clients.put("url-connection (blocking)",
        r -> CompletableFuture.supplyAsync(() -> urlConnection.getObjectAsBytes(r), threads));
    clients.put("apache (blocking)", r -> CompletableFuture.supplyAsync(() -> apache.getObjectAsBytes(r), threads));
    try {
      for (int round = 0; round < 3; round++) {
        for (var client : clients.entrySet()) {
          round("client round " + round + " " + client.getKey(), client.getKey(), os,
              k -> client.getValue().apply(GetObjectRequest.builder().bucket("images")
                  .key(images.get(k % images.size()).getFileName().toString()).build()));
        }
      }
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }

  /** {@value #FETCHES} fetches, {@value #WINDOW} at a time; prints the rate and the CPU per fetch. */
  private static void round(String title, String label, com.sun.management.OperatingSystemMXBean os,
      java.util.function.IntFunction<CompletableFuture<?>> fetch) throws Exception {
    Map<String, Long> before = cpuByThreadGroup();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    for (int i = 0; i < FETCHES; i += WINDOW) {
      List<CompletableFuture<?>> batch = new ArrayList<>();
      for (int k = i; k < Math.min(FETCHES, i + WINDOW); k++) {
        batch.add(fetch.apply(k));
      }
      CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("PROBE %s: %.0f fetches/s; process CPU %.0f us/fetch%n", title, FETCHES / seconds,
        (os.getProcessCpuTime() - cpu0) / 1e3 / FETCHES);
    cpuByThreadGroup().forEach((group, ns) -> System.out.printf("PROBE   %s %s: %.0f us/fetch%n",
        label, group, (ns - before.getOrDefault(group, 0L)) / 1e3 / FETCHES));
  }

  private static S3AsyncClient async(S3AsyncClientBuilder builder, URI endpoint) {
    return builder.endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
  }

  private static S3Client sync(S3ClientBuilder builder, URI endpoint) {
    return builder.endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
  }

  /** CPU time of live threads: the SDK's I/O threads, Vert.x's (workers sign), the rest (S3Proxy). */
  private static Map<String, Long> cpuByThreadGroup() {
    var mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new TreeMap<>();
    for (long id : mx.getAllThreadIds()) {
      var info = mx.getThreadInfo(id);
      long cpu = mx.getThreadCpuTime(id);
      if (info != null && cpu >= 0) {
        String name = info.getThreadName();
        String group = name.startsWith("aws-java-sdk") || name.startsWith("sdk-") || name.startsWith("AwsEventLoop")
            ? "sdk" : name.startsWith("pool-") ? "blocking callers"
            : name.startsWith("vert.x") ? "vertx" : name.equals("main") ? "main" : "server+other";
        out.merge(group, cpu, Long::sum);
      }
    }
    return out;
  }
}
