package io.loraflow.batch;

import io.vertx.core.Promise;

/** An event waiting in the batcher: what writes its sample, its promise and its enqueue time. */
final class Job {
  final RowWriter writer;
  final Promise<RowResult> promise;
  final long enqueuedNanos;
  long dequeuedNanos;
  Throwable rowFailure;

  Job(RowWriter writer, Promise<RowResult> promise, long enqueuedNanos) {
    this.writer = writer;
    this.promise = promise;
    this.enqueuedNanos = enqueuedNanos;
  }
}
