package io.loraflow.batch;

/**
 * One event's share of a batch run: its output row, how long it waited in the queue, how long the
 * run took and how many events shared it.
 */
public record RowResult(float[] output, long queueNanos, long inferenceNanos, int batchSize) {
}
