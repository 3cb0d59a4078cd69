package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopKTest {

  @Test
  void softmaxTopKIsDescendingAndSumsBelowOne() {
    TopK.Prediction p = TopK.of(new float[] {1f, 3f, 2f, -1f}, true, List.of("a", "b", "c", "d"), 3);
    assertEquals(List.of("b", "c", "a"), p.labels());
    double e1 = Math.exp(1), e3 = Math.exp(3), e2 = Math.exp(2), em1 = Math.exp(-1);
    double sum = e1 + e2 + e3 + em1;
    assertEquals(e3 / sum, p.scores().get(0), 1e-9);
    assertEquals(e1 / sum, p.scores().get(2), 1e-9);
  }

  @Test
  void probabilitiesAreUsedAsGivenAndKIsCapped() {
    TopK.Prediction p = TopK.of(new float[] {0.2f, 0.8f}, false, List.of("x", "y"), 5);
    assertEquals(List.of("y", "x"), p.labels());
    assertEquals(0.8, p.scores().get(0), 1e-6);
  }
}
