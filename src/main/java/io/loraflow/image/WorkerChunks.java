package io.loraflow.image;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs the blocking jobs submitted during one event-loop turn (a poll's worth of fetch-and-decode
 * work, say) as a few worker tasks of up to {@code maxChunk} jobs each, instead of one worker
 * round trip per job: each trip costs a queue hand-off, a thread wake-up and a return to the
 * event loop, which for a small image is more than the decode itself. A job's failure fails only
 * its own future.
 *
 * <p>Concurrency: {@link #submit} on {@code context} only; jobs run on the workers.
 */
public final class WorkerChunks {
  private final Context context;
  private final WorkerExecutor workers;
  private final int maxChunk;

  // Event loop only.
  private List<Job<?>> pending = new ArrayList<>();
  private boolean flushScheduled;

  public WorkerChunks(Context context, WorkerExecutor workers, int maxChunk) {
    this.context = context;
    this.workers = workers;
    this.maxChunk = maxChunk;
  }

  /** Runs {@code job} on a worker, with the others submitted in this turn; completes on the event loop. */
  public <T> Future<T> submit(Callable<T> job) {
    Job<T> j = new Job<>(job);
    pending.add(j);
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
    return j.promise.future();
  }

  private void flush() {
    flushScheduled = false;
    List<Job<?>> jobs = pending;
    pending = new ArrayList<>();
    for (int from = 0; from < jobs.size(); from += maxChunk) {
      List<Job<?>> chunk = jobs.subList(from, Math.min(jobs.size(), from + maxChunk));
      workers.<Void>executeBlocking(() -> {
        chunk.forEach(Job::run);
        return null;
      }, false).onComplete(ar -> chunk.forEach(Job::complete));
    }
  }

  /** One job; its outcome is written on the worker and read on the event loop after the chunk. */
  private static final class Job<T> {
    final Callable<T> work;
    final Promise<T> promise = Promise.promise();
    T result;
    Throwable failure;

    Job(Callable<T> work) {
      this.work = work;
    }

    void run() {
      try {
        result = work.call();
      } catch (Exception | LinkageError | OutOfMemoryError e) {
        failure = e;
      }
    }

    void complete() {
      if (failure != null) {
        promise.tryFail(failure);
      } else {
        promise.tryComplete(result);
      }
    }
  }
}
