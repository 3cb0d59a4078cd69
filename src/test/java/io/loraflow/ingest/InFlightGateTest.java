package io.loraflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InFlightGateTest {

  @Test
  void fullAtLimitAndResumesAtThreeQuarters() {
    InFlightGate gate = new InFlightGate(4);
    for (int i = 0; i < 4; i++) {
      assertTrue(gate.hasRoom());
      gate.acquire();
    }
    assertFalse(gate.hasRoom());
    assertThrows(IllegalStateException.class, gate::acquire);
    assertFalse(gate.belowLowMark(), "4 in flight is above the low mark of 3");
    gate.release();
    assertTrue(gate.hasRoom());
    assertTrue(gate.belowLowMark(), "3 in flight is at the low mark");
    assertEquals(4, gate.peak());
  }
}
