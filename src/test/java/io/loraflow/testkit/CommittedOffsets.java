package io.loraflow.testkit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Checks a group's committed offsets against the log ends of a topic. */
public final class CommittedOffsets {
  private CommittedOffsets() {
  }

  /** Waits up to 10 s for {@code group}'s committed offsets to reach the end of every partition. */
  public static void assertAtEnd(String group, String topic) throws Exception {
    var admin = TestBroker.admin();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size(); p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
    long deadline = System.currentTimeMillis() + 10_000;
    Map<TopicPartition, OffsetAndMetadata> committed;
    do {
      // Default options: the partition-list variant breaks on the 5.0.7 client (KAFKA-NOTES).
      committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      boolean all = true;
      for (var e : ends.entrySet()) {
        OffsetAndMetadata c = committed.get(e.getKey());
        all &= e.getValue().offset() == 0 || (c != null && c.offset() == e.getValue().offset());
      }
      if (all) {
        return;
      }
      Thread.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    Map<TopicPartition, OffsetAndMetadata> last = committed;
    throw new AssertionError("committed " + last + " but log ends are " + ends.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())));
  }
}
