package io.loraflow.broker;

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

  private final AdminPoller poller;
  private volatile boolean reachable = true;
  // Worker only (one check at a time).
  /** False until a check succeeded: a slow first answer (a fresh client on a busy JVM) is no outage. */
  private boolean answeredOnce;
  private long downSinceNanos;
  private String firstError;

  public BrokerWatch(Map<String, String> adminProps) {
    this.poller = new AdminPoller(adminProps, INTERVAL_MS, INTERVAL_MS, this::check);
  }

  private void check(Admin admin) {
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
      if (reachable && !poller.closed() && answeredOnce) {
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
    poller.close();
  }
}
