package io.loraflow.batch;

import io.vertx.core.Promise;

/** An event waiting in the batcher: its task, what writes its sample, its promise, its enqueue time. */
final class Job<K> {
  final K task;
  final RowWriter writer;
  final Promise<RowResult> promise;
  final long enqueuedNanos;
  long dequeuedNanos;
  Throwable rowFailure;

  Job(K task, RowWriter writer, Promise<RowResult> promise, long enqueuedNanos) {
    this.task = task;
    this.writer = writer;
    this.promise = promise;
    this.enqueuedNanos = enqueuedNanos;
  }
}
