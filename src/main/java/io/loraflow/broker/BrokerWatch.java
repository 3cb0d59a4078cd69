package io.loraflow.broker;

import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a broker outage visible. The clients ride out an outage silently (the producer retries,
 * the consumer polls nothing), so every {@value #INTERVAL_MS} ms an admin client asks the cluster
 * to describe itself, and a failure to answer within {@value #TIMEOUT_MS} ms marks the broker
 * unreachable: one WARN line when that starts, one when it ends (with how long it lasted), a
 * gauge and readiness in between.
 *
 * <p>Concurrency: the checks run on a worker thread, one at a time; {@link #reachable} from any
 * thread.
 */
public final class BrokerWatch {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerWatch.class);
  static final long INTERVAL_MS = 1_000;
  static final long TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final Admin admin;
  private final long timer;
  private volatile boolean reachable = true;
  private volatile boolean closed;
  // Worker only (one check at a time).
  /** False until a check succeeded: a slow first answer (a fresh client on a busy JVM) is no outage. */
  private boolean answeredOnce;
  private long downSinceNanos;
  private String firstError;

  public BrokerWatch(Vertx vertx, Map<String, String> adminProps) {
    this.vertx = vertx;
    this.admin = Admin.create(Map.copyOf(adminProps));
    this.timer = vertx.setPeriodic(INTERVAL_MS, id -> vertx.executeBlocking(() -> {
      check();
      return null;
    }, true));
  }

  private void check() {
    if (closed) {
      return;
    }
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT_MS)).nodes()
          .get(TIMEOUT_MS + 500, TimeUnit.MILLISECONDS);
      answeredOnce = true;
      if (!reachable) {
        reachable = true;
        LOG.warn("event=broker_reachable downMs={} error=\"{}\"", (System.nanoTime() - downSinceNanos) / 1_000_000,
            firstError);
      }
    } catch (Exception e) {
      if (reachable && !closed && answeredOnce) {
        reachable = false;
        downSinceNanos = System.nanoTime();
        firstError = e.toString().replace('"', '\'');
        LOG.warn("event=broker_unreachable error=\"{}\" action=\"outcomes and commits wait; nothing is lost\"",
            firstError);
      }
    }
  }

  /** False while the broker does not answer. */
  public boolean reachable() {
    return reachable;
  }

  public void close() {
    closed = true;
    vertx.cancelTimer(timer);
    vertx.executeBlocking(() -> {
      admin.close(java.time.Duration.ofSeconds(2));
      return null;
    });
  }
}
