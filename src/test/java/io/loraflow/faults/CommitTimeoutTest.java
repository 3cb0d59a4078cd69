package io.loraflow.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.KafkaRelay;
import io.loraflow.testkit.OutcomeTracker;
import io.loraflow.testkit.ServiceProcess;
import io.loraflow.testkit.TestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stops answering the service's offset commits (its consumer talks through a relay
 * that holds them, sockets open) for longer than the 15 s commit timeout, then answers again.
 * The timeout must fail the commit on the event loop and let the service go on: one WARN when
 * commits start failing and one when they work again, no error, every event one outcome, and
 * the committed offsets at the log end.
 */
class CommitTimeoutTest {
  static final int MAX_IN_FLIGHT = 64;
  static final int EVENTS = 300;

  @TempDir
  Path tmp;

  @Test
  void unansweredConsumerCommitsTimeOutOnceThenRecoverWithNothingLostOrRepeated() throws Exception {
    KafkaRelay relay = TestBroker.relay();
    // An event keeps its slot until its offset is committed: one in-flight window gets its
    // outcomes, then the service waits for a commit that does not come.
    run("commit-timeout", (sc, s) -> {
      s.put("kafka.consumer.bootstrap.servers", relay.address());
      // The held commit also holds the heartbeats queued behind it on the coordinator
      // connection: the default session timeout outlasts the freeze, so the member stays.
      s.put("kafka.consumer.session.timeout.ms", "45000");
    }, ApiKeys.OFFSET_COMMIT, MAX_IN_FLIGHT);
  }

  @Test
  void unansweredTransactionCommitsTimeOutOnceThenRecoverWithoutDuplicates() throws Exception {
    KafkaRelay relay = TestBroker.relay();
    // read_committed sees nothing of the transaction whose commit hangs.
    run("txn-commit-timeout", (sc, s) -> {
      s.putAll(sc.exactlyOnceSettings(MAX_IN_FLIGHT, "a"));
      s.put("kafka.producer.bootstrap.servers", relay.address());
      // The transaction outlasts the freeze: the coordinator does not abort it meanwhile.
      s.put("kafka.producer.transaction.timeout.ms", "40000");
    }, ApiKeys.END_TXN, 0);
  }

  private void run(String name, BiConsumer<FaultScenario, Map<String, String>> through, ApiKeys held, int visibleWhileHeld)
      throws Exception {
    long t0 = System.nanoTime();
    FaultScenario sc = new FaultScenario(tmp, name, 2);
    KafkaRelay relay = TestBroker.relay();
    Map<String, String> settings = sc.settings(MAX_IN_FLIGHT);
    through.accept(sc, settings);
    relay.hold(held);
    try (ServiceProcess p = ServiceProcess.start(name, settings, Duration.ofMinutes(2))) {
      p.awaitLog("event=partitions_assigned partitions=[", Duration.ofSeconds(30));
      try (KafkaProducer<byte[], byte[]> producer = sc.producer()) {
        sc.send(producer, 0, EVENTS);
      }
      long sent = System.nanoTime();
      Map<Integer, Long> ends = sc.logEnds();
      try (OutcomeTracker tracker = sc.tracker(ends)) {
        tracker.awaitDistinct(visibleWhileHeld, Duration.ofSeconds(30));
        p.awaitLog("event=commit_failed", Duration.ofSeconds(30));
        long warnAfterMs = (System.nanoTime() - sent) / 1_000_000;
        assertTrue(relay.held() >= 1, "the relay held a commit");
        assertEquals(Map.of(), TestBroker.admin().listConsumerGroupOffsets(sc.group).partitionsToOffsetAndMetadata()
            .get(), "no commit got through");
        assertEquals(visibleWhileHeld, tracker.distinct(), "outcomes visible while commits hang");
        assertEquals(1, p.logLines("event=commit_failed").size(), "one WARN for the failing streak:\n" + p.tail(20));
        String failed = p.logLines("event=commit_failed").get(0);
        assertTrue(failed.contains("TimeoutException"), failed);
        assertTrue(failed.contains("[vert.x-eventloop-thread-"), "the timeout completes on the event loop: " + failed);

        relay.release();
        tracker.awaitAll(Duration.ofSeconds(60));
        sc.assertCommittedToEnd(ends, Duration.ofSeconds(30));
        tracker.awaitCaughtUp(Duration.ofSeconds(30));
        System.out.printf("%s: %s; relay held %d commits; commit_failed %d ms after the events were sent; %.1f s in all%n",
            name, tracker.summary(), relay.held(), warnAfterMs, (System.nanoTime() - t0) / 1e9);
        assertEquals(List.of(), tracker.anomalies());
        assertEquals(0, tracker.duplicates(), "no rebalance, no crash: nothing repeated " + tracker.duplicateOffsets());
        assertEquals(EVENTS, tracker.distinct());
        p.awaitLog("event=commit_recovered", Duration.ofSeconds(10));
        assertEquals(1, p.logLines("event=commit_failed").size(), "one WARN for the failing streak:\n" + p.tail(20));
        assertEquals(1, p.logLines("event=commit_recovered").size(), "one WARN for the recovery:\n" + p.tail(20));
        assertEquals(List.of(), p.logLines(" ERROR |Unhandled exception|has been blocked for|event=partitions_lost"
            + "|event=transaction_aborted"), "no error, no unhandled exception, no blocked event loop, no lost "
            + "partition, no transaction thrown away");
      }
      assertEquals(143, p.terminate(Duration.ofSeconds(60)), "clean exit on SIGTERM");
    } finally {
      relay.release();
    }
  }
}
