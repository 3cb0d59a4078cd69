package io.loraflow.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeBudgetTest {
  private static final long MB = 1 << 20;

  @Test
  void largeImagesWaitForInferenceInsteadOfFillingTheHeap() {
    DecodeBudget budget = new DecodeBudget(100 * MB);
    List<Future<Void>> started = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      started.add(budget.acquire());
    }
    // Nothing known about sizes yet: one decode at a time.
    assertEquals(1, started.stream().filter(Future::succeeded).count());
    budget.decoded(0, 36 * MB); // a 12 MP photo
    // 36 buffered + (1 decoding + 1) x 36 would pass 100: one more may decode.
    assertEquals(2, started.stream().filter(Future::succeeded).count());
    budget.decoded(0, 36 * MB);
    assertEquals(2, started.stream().filter(Future::succeeded).count(), "72 MB buffered: no room for another 36");
    assertEquals(254, budget.waiting());
    budget.released(36 * MB); // a batch ran
    assertEquals(3, started.stream().filter(Future::succeeded).count());
    // At most the budget, whatever the order.
    long peak = 0;
    int done = 3;
    long buffered = 36 * MB;
    for (int i = 0; i < 1000 && done < 256; i++) {
      budget.decoded(0, 36 * MB);
      buffered += 36 * MB;
      peak = Math.max(peak, budget.buffered());
      budget.released(36 * MB);
      buffered -= 36 * MB;
      done = (int) started.stream().filter(Future::succeeded).count();
    }
    assertEquals(256, done, "every decode gets its turn");
    assertTrue(peak <= 100 * MB, "peak " + peak / MB + " MB");
  }

  @Test
  void smallImagesAreNotHeldBack() {
    DecodeBudget budget = new DecodeBudget(100 * MB);
    Future<Void> first = budget.acquire();
    List<Future<Void>> rest = new ArrayList<>();
    for (int i = 0; i < 255; i++) {
      rest.add(budget.acquire());
    }
    assertTrue(first.succeeded());
    budget.decoded(0, 2352); // 28 x 28 x 3
    assertTrue(rest.stream().allMatch(Future::succeeded), "tiny images: all 255 decode at once");
  }

  @Test
  void anImageLargerThanTheBudgetStillGoesThroughAlone() {
    DecodeBudget budget = new DecodeBudget(10 * MB);
    assertTrue(budget.acquire().succeeded());
    budget.decoded(0, 150 * MB);
    Future<Void> next = budget.acquire();
    assertFalse(next.isComplete());
    budget.released(150 * MB);
    assertTrue(next.succeeded(), "nothing buffered, nothing decoding: progress");
    budget.failed(0); // a corrupt image frees its turn too
    assertTrue(budget.acquire().succeeded());
  }

  @Test
  void fetchesWaitWhileTheBufferIsFullAndASlowFetchHoldsNothingBack() {
    DecodeBudget budget = new DecodeBudget(100 * MB);
    assertTrue(budget.beforeFetch().succeeded());
    assertTrue(budget.beforeFetch().succeeded(), "a fetch under way counts nothing: the next starts");
    budget.fetched(60 * MB);
    budget.fetched(50 * MB); // 110 MB of compressed images wait for decodes
    Future<Void> third = budget.beforeFetch();
    assertFalse(third.isComplete());
    // Compressed bytes never block the decodes that free them.
    assertTrue(budget.acquire().succeeded());
    budget.decoded(60 * MB, 20 * MB);
    assertTrue(third.succeeded(), "70 MB held now");
    assertEquals(70 * MB, budget.buffered());
  }
}
