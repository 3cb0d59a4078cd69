package io.loraflow.share;

import io.loraflow.broker.AdminPoller;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The share group's backlog on the input topic: records no member has settled yet (available, or
 * acquired and not yet acknowledged), asked of the broker every {@value #INTERVAL_MS} ms. A share
 * member has no lag of its own (every member reads every partition), so this is the group's figure,
 * the same on every instance: what an autoscaler can scale on.
 *
 * <p>Per partition the broker's own lag (KIP-1226) is taken; where it has none, the log end minus
 * the share-partition start offset. Until a partition's first acknowledgement the broker keeps no
 * state for it (Kafka 4.4 lists it without offsets): with {@code share.auto.offset.reset=earliest}
 * its whole log counts, else nothing yet (the start is wherever the group began, unknown here).
 * When the broker does not answer the last figure stays.
 *
 * <p>Concurrency: the checks run on a worker thread, one at a time; {@link #records} from any thread.
 */
public final class ShareBacklog {
  private static final Logger LOG = LoggerFactory.getLogger(ShareBacklog.class);
  static final long INTERVAL_MS = 5_000;
  static final long TIMEOUT_MS = 3_000;

  private final AdminPoller poller;
  private final String group;
  private final String topic;
  private final boolean fromEarliest;
  private volatile long records;
  // Worker only.
  private boolean failing;

  /** {@code autoOffsetReset}: the group's {@code share.auto.offset.reset}. */
  public ShareBacklog(Map<String, String> adminProps, String group, String topic,
      String autoOffsetReset) {
    this.fromEarliest = autoOffsetReset.equals("earliest");
    this.group = group;
    this.topic = topic;
    this.poller = new AdminPoller(adminProps, 1, INTERVAL_MS, this::check);
  }

  private void check(Admin admin) {
    try {
      Map<TopicPartition, SharePartitionOffsetInfo> infos = admin.listShareGroupOffsets(
          Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group)
          .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      long total = 0;
      Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
      Map<TopicPartition, OffsetSpec> starts = new HashMap<>();
      for (Map.Entry<TopicPartition, SharePartitionOffsetInfo> e : infos.entrySet()) {
        SharePartitionOffsetInfo info = e.getValue();
        if (!e.getKey().topic().equals(topic)) {
          continue;
        }
        if (info != null && info.lag().isPresent()) {
          total += info.lag().get();
        } else if (info != null || fromEarliest) {
          ends.put(e.getKey(), OffsetSpec.latest());
          if (info == null) {
            starts.put(e.getKey(), OffsetSpec.earliest());
          }
        }
      }
      Map<TopicPartition, Long> end = offsets(admin, ends);
      Map<TopicPartition, Long> start = offsets(admin, starts);
      for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
        SharePartitionOffsetInfo info = infos.get(e.getKey());
        total += Math.max(0, e.getValue() - (info != null ? info.startOffset() : start.get(e.getKey())));
      }
      records = total;
      if (failing) {
        failing = false;
        LOG.info("event=share_backlog_known records={}", total);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!failing && !poller.closed()) {
        failing = true;
        LOG.warn("event=share_backlog_unknown group={} error=\"{}\" action=\"the last figure stays\"", group,
            e.toString().replace('"', '\''));
      }
    }
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, Map<TopicPartition, OffsetSpec> specs)
      throws Exception {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (!specs.isEmpty()) {
      admin.listOffsets(specs).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .forEach((tp, info) -> out.put(tp, info.offset()));
    }
    return out;
  }

  /** Records of the input topic the group has yet to settle, as of the last check (0 before it). */
  public long records() {
    return records;
  }

  public void close() {
    poller.close();
  }
}
