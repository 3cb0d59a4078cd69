package io.loraflow.batch;

import java.nio.Buffer;

/**
 * Writes one sample (C × H × W values) into a batch tensor at a value offset: floats into a
 * {@code FloatBuffer}, bytes into a {@code ByteBuffer}, as the model's input type says. Called on
 * a decode worker thread, once, when the sample's batch forms: preprocessing goes straight into
 * the batch's direct buffer.
 */
@FunctionalInterface
public interface RowWriter {
  void write(Buffer batch, int offset) throws Exception;
}
