package io.loraflow.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Start-up check that the input, output and dead-letter topics exist: without it a missing output
 * topic shows up only as sends retried forever and paused partitions. Blocking: call off the
 * event loop.
 */
final class TopicCheck {
  private TopicCheck() {
  }

  static void requireExisting(Map<String, String> adminProps, Collection<String> topics, long timeoutMs)
      throws Exception {
    try (Admin admin = Admin.create(Map.copyOf(adminProps))) {
      Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      List<String> missing = new ArrayList<>();
      for (String t : topics) {
        if (!existing.contains(t)) {
          missing.add(t);
        }
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("Kafka topics " + missing + " do not exist on "
            + adminProps.get("bootstrap.servers") + ": create them (e.g. kafka-topics.sh --create "
            + "--topic NAME --partitions N) or fix input.topic / output.topic / dlq.topic");
      }
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Kafka at " + adminProps.get("bootstrap.servers")
          + " did not answer within " + timeoutMs + " ms (check bootstrap.servers and kafka.admin.*)", e);
    }
  }
}
