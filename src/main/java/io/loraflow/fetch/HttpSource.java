package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Fetches an http/https image, one hop at a time.
 *
 * <p>Each hop resolves the host on a worker thread, checks every address with the
 * {@link TargetGuard}, then connects to the first checked address ({@code setServer}) while the
 * Host header and TLS SNI carry the URL's host name, so DNS rebinding cannot swap the address
 * after the check. Redirects are followed by hand, each hop checked again. The body is counted
 * while it streams and the connection is reset once it passes {@code maxBytes}. Besides the
 * per-hop connect and idle timeouts, a body still streaming {@code connectTimeoutMs + 2 ×
 * readTimeoutMs} after the fetch began fails with {@code FETCH_TIMEOUT}, so a server that trickles
 * bytes just inside the idle timeout cannot hold a fetch for long.
 *
 * <p>Thread: {@link #fetch} may be called from any thread; callbacks run on Vert.x contexts.
 */
final class HttpSource {
  /** Connections per image server; Vert.x's default of 5 would serialise a burst from one CDN. */
  private static final int CONNECTIONS_PER_SERVER = 32;

  private final Vertx vertx;
  private final FetchOptions options;
  private final TargetGuard guard;
  private final HttpClient client;

  HttpSource(Vertx vertx, FetchOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.guard = new TargetGuard(options.allowedTargets());
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setForceSni(true)
        .setConnectTimeout(options.connectTimeoutMs()),
        new PoolOptions().setHttp1MaxSize(CONNECTIONS_PER_SERVER));
  }

  Future<Buffer> fetch(URI uri) {
    return hop(uri, new HashSet<>(), System.nanoTime() + options.budgetMs() * 1_000_000);
  }

  Future<Void> close() {
    return client.close();
  }

  private Future<Buffer> hop(URI uri, Set<URI> visited, long deadlineNanos) {
    if (!visited.add(uri.normalize())) {
      return Future.failedFuture(
          new StageException(Reason.FETCH_FAILED, "redirect loop at " + uri));
    }
    if (visited.size() > options.maxRedirects() + 1) {
      return Future.failedFuture(new StageException(Reason.FETCH_FAILED,
          "more than " + options.maxRedirects() + " redirects"));
    }
    String host = uri.getHost();
    return resolve(host)
        .compose(address -> client.request(request(uri, address)))
        .compose(req -> req.send())
        .recover(err -> Future.failedFuture(FetchErrors.map(err, uri)))
        .compose(resp -> {
          int status = resp.statusCode();
          if (status >= 200 && status < 300) {
            return new BodyReader(resp, options.maxBytes(), deadlineNanos, uri).read();
          }
          resp.request().reset();
          if (status >= 300 && status < 400 && resp.getHeader("Location") != null) {
            return redirect(uri, resp.getHeader("Location"))
                .compose(next -> hop(next, visited, deadlineNanos));
          }
          boolean retry = status == 429 || status == 408 || status >= 500;
          return Future.failedFuture(new StageException(Reason.FETCH_FAILED,
              "HTTP " + status + " from " + uri, retry, null));
        });
  }

  private Future<InetAddress> resolve(String host) {
    return vertx.executeBlocking(() -> {
      InetAddress[] all;
      try {
        all = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        throw new StageException(Reason.FETCH_FAILED, "unknown host " + host, false, e);
      }
      for (InetAddress a : all) {
        guard.check(host, a);
      }
      return all[0];
    }, false);
  }

  private RequestOptions request(URI uri, InetAddress address) {
    boolean tls = uri.getScheme().equalsIgnoreCase("https");
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setServer(SocketAddress.inetSocketAddress(new InetSocketAddress(address, port)))
        .setHost(uri.getHost())
        .setPort(port)
        .setSsl(tls)
        .setURI(path + query)
        .setFollowRedirects(false)
        .setConnectTimeout(options.connectTimeoutMs())
        .setIdleTimeout(options.readTimeoutMs())
        .putHeader("Accept", "image/*");
  }

  private static Future<URI> redirect(URI from, String location) {
    try {
      URI next = from.resolve(location.strip());
      String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || next.getHost() == null) {
        return Future.failedFuture(new StageException(Reason.FORBIDDEN_TARGET,
            "redirect to a non-http target: " + location));
      }
      return Future.succeededFuture(next);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new StageException(Reason.FETCH_FAILED,
          "bad redirect location: " + location));
    }
  }
}
