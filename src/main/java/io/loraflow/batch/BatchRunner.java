package io.loraflow.batch;

import io.vertx.core.Future;
import java.nio.Buffer;

/**
 * Runs inference for {@code task} on {@code rows} samples from row {@code first} of a batch tensor
 * (a direct {@code FloatBuffer} or {@code ByteBuffer}, as the model's input type says).
 */
@FunctionalInterface
public interface BatchRunner<K> {
  /** One output row per sample; a failed future when the run fails. */
  Future<float[][]> run(K task, Buffer batch, int first, int rows);
}
