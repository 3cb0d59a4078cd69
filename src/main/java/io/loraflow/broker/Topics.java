package io.loraflow.broker;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics and waits until they are really usable.
 *
 * <p>Why: on Kafka 4.4 (KAFKA-15591, fixed in 4.5) an idempotent producer that writes right after
 * {@code createTopics} can silently lose records even with {@code acks=all}. Retrying
 * {@code listOffsets} on every partition until it succeeds closes that window. Uses the plain
 * Kafka {@link Admin}: parts of the Vert.x admin client break on kafka-clients 4.x.
 */
public final class Topics {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final long RETRY_MILLIS = 50;

  private Topics() {}

  /** {@link #createAndAwait(Admin, Collection, Duration)} with {@link #DEFAULT_TIMEOUT}. */
  public static void createAndAwait(Admin admin, Collection<NewTopic> topics) {
    createAndAwait(admin, topics, DEFAULT_TIMEOUT);
  }

  /**
   * Creates {@code topics} (existing ones are left as they are) and blocks until every partition
   * of every one answers {@code listOffsets}. Idempotent.
   *
   * @throws IllegalStateException if creation fails or the topics are not ready within
   *     {@code timeout}
   */
  public static void createAndAwait(Admin admin, Collection<NewTopic> topics, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> names = topics.stream().map(NewTopic::name).toList();
    try {
      for (Map.Entry<String, KafkaFuture<Void>> e : admin.createTopics(topics).values().entrySet()) {
        try {
          e.getValue().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("creating topic " + e.getKey() + " failed", ex.getCause());
          }
        }
      }
      awaitListOffsets(admin, names, deadline);
    } catch (TimeoutException e) {
      throw new IllegalStateException("topics " + names + " not ready within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics " + names, e);
    }
  }

  /**
   * The same on a Vert.x worker thread, for verticles: the returned future completes once the
   * topics are ready.
   */
  public static Future<Void> createAndAwait(
      Vertx vertx, Admin admin, Collection<NewTopic> topics, Duration timeout) {
    return vertx.executeBlocking(() -> {
      createAndAwait(admin, topics, timeout);
      return null;
    }, false);
  }

  private static void awaitListOffsets(Admin admin, List<String> names, long deadline)
      throws TimeoutException, InterruptedException {
    Exception last = null;
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(names).allTopicNames()
                .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        described.values().forEach(d -> d.partitions().forEach(p ->
            request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        admin.listOffsets(request).all().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException | TimeoutException e) {
        last = e;
      }
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS) > deadline) {
        TimeoutException t = new TimeoutException("listOffsets kept failing");
        t.initCause(last);
        throw t;
      }
      Thread.sleep(RETRY_MILLIS);
    }
  }

  private static long remainingMillis(long deadline) throws TimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new TimeoutException();
    }
    return left;
  }
}
