package io.loraflow.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionSequencerTest {

  @Test
  void laterEventWaitsForEarlierOneOfItsPartition() {
    PartitionSequencer seq = new PartitionSequencer();
    List<String> sends = new ArrayList<>();
    PartitionSequencer.Slot a0 = seq.next("a");
    PartitionSequencer.Slot a1 = seq.next("a");
    PartitionSequencer.Slot b0 = seq.next("b");
    Future<Void> f1 = a1.release(() -> record(sends, "a1"));
    Future<Void> fb = b0.release(() -> record(sends, "b0"));
    assertEquals(List.of("b0"), sends, "a1 must wait for a0; b is independent");
    assertFalse(f1.isComplete());
    assertTrue(fb.succeeded());
    a0.release(() -> record(sends, "a0"));
    assertEquals(List.of("b0", "a0", "a1"), sends);
    assertTrue(f1.succeeded());
    assertEquals(0, seq.waiting());
  }

  @Test
  void sendsDoNotWaitForEarlierAcknowledgements() {
    PartitionSequencer seq = new PartitionSequencer();
    List<String> sends = new ArrayList<>();
    Promise<Void> ack0 = Promise.promise();
    PartitionSequencer.Slot s0 = seq.next("p");
    PartitionSequencer.Slot s1 = seq.next("p");
    Future<Void> f0 = s0.release(() -> {
      sends.add("0");
      return ack0.future();
    });
    Future<Void> f1 = s1.release(() -> record(sends, "1"));
    assertEquals(List.of("0", "1"), sends, "1 was sent before 0 was acknowledged");
    assertFalse(f0.isComplete());
    assertTrue(f1.succeeded());
    ack0.complete();
    assertTrue(f0.succeeded());
  }

  private static Future<Void> record(List<String> sends, String name) {
    sends.add(name);
    return Future.succeededFuture();
  }
}
