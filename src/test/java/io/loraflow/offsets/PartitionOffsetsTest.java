package io.loraflow.offsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

  @Test
  void nothingReceivedCommitsNothing() {
    assertTrue(new PartitionOffsets().toCommit().isEmpty());
  }

  @Test
  void commitStopsAtLowestIncompleteOffset() {
    PartitionOffsets p = new PartitionOffsets();
    for (long o = 10; o < 15; o++) {
      p.received(o);
    }
    p.completed(10);
    p.completed(12);
    p.completed(13);
    assertEquals(11, p.toCommit().getAsLong(), "11 is still in flight");
    p.completed(11);
    assertEquals(14, p.toCommit().getAsLong());
    p.completed(14);
    assertEquals(15, p.toCommit().getAsLong());
  }

  @Test
  void gapsInOffsetsCountAsDone() {
    PartitionOffsets p = new PartitionOffsets();
    p.received(3);
    p.received(7); // 4..6 compacted away or transaction markers
    p.completed(3);
    p.completed(7);
    assertEquals(8, p.toCommit().getAsLong());
  }

  @Test
  void committedPositionIsNotCommittedAgain() {
    PartitionOffsets p = new PartitionOffsets();
    p.received(0);
    p.completed(0);
    p.committed(p.toCommit().getAsLong());
    assertTrue(p.toCommit().isEmpty());
  }

  @Test
  void completionDuringCommitKeepsStateDirty() {
    PartitionOffsets p = new PartitionOffsets();
    p.received(0);
    p.received(1);
    p.completed(0);
    long inCommit = p.toCommit().getAsLong();
    p.completed(1); // lands while the commit of 1 is on the wire
    p.committed(inCommit);
    assertEquals(2, p.toCommit().getAsLong());
  }

  @Test
  void revokedPartitionIgnoresLateCompletionsAndNeverCommits() {
    PartitionOffsets p = new PartitionOffsets();
    p.received(5);
    p.revoke();
    p.completed(5);
    assertTrue(p.toCommit().isEmpty());
    assertEquals(1, p.incompleteCount());
  }

  /** Thousands of offsets with gaps, completed in a shuffled order: the position is always the lowest incomplete. */
  @Test
  void positionIsTheLowestIncompleteUnderShuffledCompletion() {
    PartitionOffsets p = new PartitionOffsets();
    java.util.List<Long> offsets = new java.util.ArrayList<>();
    for (long o = 100; offsets.size() < 5_000; o += 1 + (o % 3 == 0 ? 2 : 0)) {
      p.received(o);
      offsets.add(o);
    }
    java.util.TreeSet<Long> incomplete = new java.util.TreeSet<>(offsets);
    java.util.Collections.shuffle(offsets, new java.util.Random(3));
    for (long o : offsets) {
      p.completed(o);
      incomplete.remove(o);
      long expected = incomplete.isEmpty() ? offsets.stream().mapToLong(Long::longValue).max().getAsLong() + 1
          : incomplete.first();
      assertEquals(expected, p.position().getAsLong());
      assertEquals(incomplete.size(), p.incompleteCount());
    }
  }
}
