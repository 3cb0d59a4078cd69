package io.loraflow.tracing;

import io.loraflow.config.LoraflowConfig;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.vertx.core.VertxBuilder;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.util.Map;

/**
 * {@code tracing=opentelemetry}: the OpenTelemetry SDK as the standard {@code OTEL_*} variables
 * (or {@code -Dotel.*}) configure it, given to Vert.x's tracing integration (HTTP server and client
 * spans) and to the pipeline ({@link OtelEventTracer}). Off, nothing is created.
 */
public final class Tracing {
  /**
   * Defaults the OTEL_* variables override: traces only (metrics are Prometheus', logs go to
   * stderr), and OTLP over HTTP, which the JDK's client sends (no gRPC stack in the jar).
   */
  private static final Map<String, String> DEFAULTS = Map.of(
      "otel.service.name", "loraflow",
      "otel.exporter.otlp.protocol", "http/protobuf",
      "otel.metrics.exporter", "none",
      "otel.logs.exporter", "none");

  private Tracing() {
  }

  public static boolean enabled(LoraflowConfig config) {
    return config.getString(LoraflowConfig.TRACING).equals("opentelemetry");
  }

  /** The SDK when tracing is on (flushed by its own shutdown hook), else the no-op API. */
  public static OpenTelemetry open(LoraflowConfig config) {
    if (!enabled(config)) {
      return OpenTelemetry.noop();
    }
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> DEFAULTS)
        .build()
        .getOpenTelemetrySdk();
  }

  /** Vert.x traces its HTTP server and clients with {@code otel} when tracing is on. */
  public static VertxBuilder install(VertxBuilder builder, LoraflowConfig config, OpenTelemetry otel) {
    return enabled(config) ? builder.withTracer(new OpenTelemetryTracingFactory(otel)) : builder;
  }

  /** The pipeline's tracer: {@link EventTracer#OFF} unless tracing is on. */
  public static EventTracer eventTracer(LoraflowConfig config, OpenTelemetry otel) {
    return enabled(config) ? new OtelEventTracer(otel, config.getString(LoraflowConfig.GROUP_ID)) : EventTracer.OFF;
  }
}
