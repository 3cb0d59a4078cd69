package io.loraflow.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Guards {@code /admin/*}: a request passes only with {@code Authorization: Bearer TOKEN}, TOKEN
 * being the {@code http.admin.token} setting. Without a token configured the admin routes are not
 * mounted at all ({@link HttpApi}), so they are off unless an operator turns them on.
 */
final class AdminAuth implements Handler<RoutingContext> {
  private final byte[] expected;

  AdminAuth(String token) {
    if (token.isBlank()) {
      throw new IllegalArgumentException("an admin token must not be blank");
    }
    this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(RoutingContext rc) {
    String header = rc.request().getHeader("Authorization");
    // Constant time: the comparison must not tell how much of a guess was right.
    if (header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
      rc.next();
      return;
    }
    rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"loraflow-admin\"");
    Problem.send(rc, 401, "UNAUTHORIZED", header == null
        ? "admin endpoints need Authorization: Bearer <http.admin.token>"
        : "the bearer token is not http.admin.token");
  }
}
