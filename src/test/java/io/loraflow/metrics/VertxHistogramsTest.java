package io.loraflow.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.junit.jupiter.api.Test;

/** Vert.x's own HTTP timers come out of the shared registry as histograms, as the service's do. */
class VertxHistogramsTest {

  @Test
  void httpServerResponseTimeIsAHistogramWithTheServiceBuckets() throws Exception {
    PrometheusMeterRegistry registry = ServiceMetrics.newRegistry();
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(rq -> rq.response().end("ok"))
          .listen(0, "127.0.0.1").await();
      HttpClient client = vertx.createHttpClient();
      client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(rq -> rq.send().compose(r -> r.body())).await();
      String text = registry.scrape();
      // The service's bucket bounds (1 ms ... 60 s), not Micrometer's default percentile buckets.
      assertTrue(text.matches("(?s).*vertx_http_server_response_time_seconds_bucket\\{[^}]*le=\"0\\.001\"[^}]*}.*"),
          text);
      assertTrue(text.matches("(?s).*vertx_http_server_response_time_seconds_bucket\\{[^}]*le=\"60\\.0\"[^}]*}.*"),
          text);
      assertFalse(text.contains("vertx_http_server_response_time_seconds{quantile"), "no summary quantiles");
    } finally {
      vertx.close().await();
    }
  }
}
