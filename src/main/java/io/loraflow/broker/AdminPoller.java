package io.loraflow.broker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * An admin client of its own, handed to a check every interval on a thread of its own, one check
 * at a time, until closed: the shape of the service's watches on the broker ({@link BrokerWatch},
 * the share group's backlog). The check catches what it expects; blocking calls are fine there.
 *
 * <p>Not a Vert.x timer: a watch must see an outage even while the event loop is held up. During a
 * broker restart it was held for 5 s (most likely by a producer send waiting for metadata), and
 * the outage, over meanwhile, was never logged.
 */
public final class AdminPoller {
  private final Admin admin;
  private final ScheduledExecutorService thread;
  private volatile boolean closed;

  public AdminPoller(Map<String, String> adminProps, long firstMs, long intervalMs, Consumer<Admin> check) {
    this.admin = Admin.create(Map.copyOf(adminProps));
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "loraflow-admin-watch");
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(() -> {
      try {
        if (!closed) {
          check.accept(admin);
        }
      } catch (RuntimeException e) {
        // the check catches what it expects; anything else must not end the schedule
      }
    }, firstMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** True once {@link #close} was called: a check under way then ends quietly. */
  public boolean closed() {
    return closed;
  }

  public void close() {
    closed = true;
    thread.execute(() -> admin.close(Duration.ofSeconds(2))); // after a check under way
    thread.shutdown(); // the periodic check is cancelled, the close above still runs

  }
}
