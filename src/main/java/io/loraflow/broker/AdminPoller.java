package io.loraflow.broker;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * An admin client of its own, handed to a check every interval on a worker thread, one check at a
 * time, until closed: the shape of the service's watches on the broker ({@link BrokerWatch}, the
 * share group's backlog). The check catches what it expects; blocking calls are fine there.
 */
public final class AdminPoller {
  private final Vertx vertx;
  private final Admin admin;
  private final long timer;
  private volatile boolean closed;

  public AdminPoller(Vertx vertx, Map<String, String> adminProps, long firstMs, long intervalMs, Consumer<Admin> check) {
    this.vertx = vertx;
    this.admin = Admin.create(Map.copyOf(adminProps));
    this.timer = vertx.setPeriodic(firstMs, intervalMs, id -> vertx.executeBlocking(() -> {
      if (!closed) {
        check.accept(admin);
      }
      return null;
    }, true));
  }

  /** True once {@link #close} was called: a check under way then ends quietly. */
  public boolean closed() {
    return closed;
  }

  public void close() {
    closed = true;
    vertx.cancelTimer(timer);
    vertx.executeBlocking(() -> {
      admin.close(Duration.ofSeconds(2));
      return null;
    });
  }
}
