package io.loraflow.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Error bodies as RFC 9457 problem details ({@code application/problem+json}): {@code type}
 * ({@code about:blank}, so {@code title} is the HTTP status phrase), {@code status},
 * {@code detail} (what went wrong, for a person) and the extension member {@code reason}, the
 * machine-readable code (a dead-letter reason for classify errors, the same names as the DLQ's
 * {@code loraflow.error.reason} header).
 */
final class Problem {
  static final String MEDIA_TYPE = "application/problem+json";

  private Problem() {
  }

  static JsonObject of(int status, String reason, String detail) {
    return new JsonObject()
        .put("type", "about:blank")
        .put("title", HttpResponseStatus.valueOf(status).reasonPhrase())
        .put("status", status)
        .put("detail", detail)
        .put("reason", reason);
  }

  static void send(RoutingContext rc, int status, String reason, String detail) {
    rc.response().setStatusCode(status).putHeader("content-type", MEDIA_TYPE)
        .end(of(status, reason, detail).encode());
  }
}
