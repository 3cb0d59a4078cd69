package io.loraflow.share;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up step of share mode: sets the share group's {@code share.auto.offset.reset}. It is a
 * group config, not a consumer one (Kafka's default, latest, makes a new group skip what the
 * topic already holds), so it must be in place before the first member joins. Blocking: call off
 * the event loop.
 */
public final class ShareGroupSetup {
  private static final Logger LOG = LoggerFactory.getLogger(ShareGroupSetup.class);
  static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";

  private ShareGroupSetup() {
  }

  /** Sets {@code share.auto.offset.reset=reset} on {@code group} unless it is set so already. */
  public static void applyAutoOffsetReset(Map<String, String> adminProps, String group, String reset,
      long timeoutMs) throws InterruptedException {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
    try (Admin admin = Admin.create(Map.copyOf(adminProps))) {
      ConfigEntry current = admin.describeConfigs(List.of(resource)).all().get(timeoutMs, TimeUnit.MILLISECONDS)
          .get(resource).get(AUTO_OFFSET_RESET);
      if (current != null && reset.equals(current.value())) {
        return;
      }
      admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
          new ConfigEntry(AUTO_OFFSET_RESET, reset), AlterConfigOp.OpType.SET))))
          .all().get(timeoutMs, TimeUnit.MILLISECONDS);
      LOG.info("event=share_group_configured group={} {}={} was={}", group, AUTO_OFFSET_RESET, reset,
          current == null ? null : current.value());
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException("cannot set " + AUTO_OFFSET_RESET + "=" + reset + " on share group '" + group
          + "' at " + adminProps.get("bootstrap.servers") + ": " + cause + " (grant ALTER_CONFIGS on the group, "
          + "or set it with kafka-configs.sh --entity-type groups --entity-name " + group + ")", cause);
    }
  }
}
