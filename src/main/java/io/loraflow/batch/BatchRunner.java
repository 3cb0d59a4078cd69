package io.loraflow.batch;

import io.vertx.core.Future;
import java.nio.FloatBuffer;

/** Runs inference on {@code rows} samples starting at row {@code first} of a batch tensor. */
@FunctionalInterface
public interface BatchRunner {
  /** One output row per sample; a failed future when the run fails. */
  Future<float[][]> run(FloatBuffer batch, int first, int rows);
}
