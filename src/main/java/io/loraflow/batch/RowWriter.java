package io.loraflow.batch;

import java.nio.FloatBuffer;

/**
 * Writes one sample (C × H × W floats) into a batch tensor at a float offset. Called on a decode
 * worker thread, once, when the sample's batch forms: preprocessing goes straight into the
 * batch's direct buffer.
 */
@FunctionalInterface
public interface RowWriter {
  void write(FloatBuffer batch, int offsetFloats) throws Exception;
}
