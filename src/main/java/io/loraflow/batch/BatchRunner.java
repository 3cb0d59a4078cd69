package io.loraflow.batch;

import io.vertx.core.Future;
import java.nio.FloatBuffer;

/** Runs inference for {@code task} on {@code rows} samples from row {@code first} of a batch tensor. */
@FunctionalInterface
public interface BatchRunner<K> {
  /** One output row per sample; a failed future when the run fails. */
  Future<float[][]> run(K task, FloatBuffer batch, int first, int rows);
}
