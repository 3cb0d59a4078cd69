package io.loraflow.batch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Size-or-delay micro-batcher in the manner of Triton's dynamic batcher, with one queue per task
 * (LoRA adapter): a batch holds one task, and ready tasks are served in turn.
 *
 * <p>A batch forms when an inference slot is free and either {@link #maxBatchSize} events wait
 * or the oldest has waited {@code maxQueueDelayMs}. While every slot is busy, events keep
 * queueing, so batches grow with load. {@code slots} batches may be outstanding at once (one
 * running per inference thread, plus one formed behind it), so the next batch is ready when a run
 * ends.
 *
 * <p>Forming a batch writes each event's sample straight into the batch's direct buffer, a chunk
 * of rows per task on the given executor (the service gives the inference thread). A sample that fails to write fails only its own event
 * ({@code DECODE_FAILED}); a run that fails is split in halves until the failing events are
 * found ({@code INFERENCE_FAILED}), and the others get their results.
 *
 * <p>{@code K} identifies a task's queue (a task, or the loaded adapter of one).
 *
 * <p>Concurrency: every method must be called on {@link #context}'s thread (the event loop).
 */
public final class MicroBatcher<K> {
  /** Rows one worker task writes: enough to amortise the trip, few enough to spread a batch. */
  private static final int ROWS_PER_TASK = 8;
  private final Context context;
  private final int maxBatchSize;
  private final long maxQueueDelayNanos;
  private final int slots;
  private final int sampleValues;
  private final WorkerExecutor workers;
  private final BatchRunner<K> runner;
  private final BufferPool buffers;

  // Event loop only. One queue per task, served round-robin.
  private final Map<K, ArrayDeque<Job<K>>> queues = new LinkedHashMap<>();
  private final ArrayDeque<K> turn = new ArrayDeque<>();
  private int outstanding;
  private long timerId = -1;
  private volatile Thread eventLoop;

  public MicroBatcher(Context context, int maxBatchSize, long maxQueueDelayMs, int slots,
      int sampleValues, Supplier<? extends Buffer> allocator, WorkerExecutor workers, BatchRunner<K> runner) {
    this.context = context;
    this.maxBatchSize = maxBatchSize;
    this.maxQueueDelayNanos = maxQueueDelayMs * 1_000_000L;
    this.slots = slots;
    this.sampleValues = sampleValues;
    this.workers = workers;
    this.runner = runner;
    this.buffers = new BufferPool(allocator);
    context.runOnContext(v -> eventLoop = Thread.currentThread());
  }

  /**
   * Queues one event of {@code task}; the future completes with its output row, on the event
   * loop. A batch holds events of one task only.
   */
  public Future<RowResult> submit(K task, RowWriter writer) {
    checkThread();
    Promise<RowResult> promise = Promise.promise();
    ArrayDeque<Job<K>> queue = queues.get(task);
    if (queue == null) {
      queue = new ArrayDeque<>();
      queues.put(task, queue);
      turn.addFirst(task); // never served yet: first in line

    }
    queue.add(new Job<>(task, writer, promise, System.nanoTime()));
    maybeDispatch();
    return promise.future();
  }

  /** Events waiting for a batch, over all tasks. */
  public int queued() {
    return queues.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /**
   * Forms batches while slots are free: the next task in turn whose queue is full or whose oldest
   * event waited the max queue delay goes first, so no task starves another.
   */
  private void maybeDispatch() {
    while (outstanding < slots && !turn.isEmpty()) {
      long now = System.nanoTime();
      long soonest = Long.MAX_VALUE;
      K ready = null;
      for (K task : turn) {
        ArrayDeque<Job<K>> queue = queues.get(task);
        long waited = now - queue.peek().enqueuedNanos;
        if (queue.size() >= maxBatchSize || waited >= maxQueueDelayNanos) {
          ready = task;
          break;
        } else {
          soonest = Math.min(soonest, maxQueueDelayNanos - waited);
        }
      }
      if (ready == null) {
        armTimer(soonest);
        return;
      }
      ArrayDeque<Job<K>> queue = queues.get(ready);
      List<Job<K>> jobs = new ArrayList<>(Math.min(queue.size(), maxBatchSize));
      while (!queue.isEmpty() && jobs.size() < maxBatchSize) {
        jobs.add(queue.poll());
      }
      turn.remove(ready);
      if (queue.isEmpty()) {
        queues.remove(ready);
      } else {
        turn.addLast(ready); // served: to the back of the line
      }
      dispatch(ready, jobs);
    }
  }

  private void armTimer(long delayNanos) {
    if (timerId >= 0) {
      return;
    }
    long ms = Math.max(1, (delayNanos + 999_999) / 1_000_000);
    timerId = context.owner().setTimer(ms, id -> {
      timerId = -1;
      maybeDispatch();
    });
  }

  private void dispatch(K task, List<Job<K>> jobs) {
    Buffer batch;
    try {
      batch = buffers.take();
    } catch (RuntimeException | OutOfMemoryError e) {
      // No tensor for this batch (direct memory exhausted): its events fail, the slot stays free.
      for (Job<K> job : jobs) {
        job.promise.tryFail(new StageException(Reason.INFERENCE_FAILED, "no batch buffer: " + e, false, e));
      }
      return;
    }
    outstanding++;
    long start = System.nanoTime();
    // Rows are written a chunk at a time (one trip per ROWS_PER_TASK rows, not per row), straight
    // into the batch's direct buffer, on the executor the service gives (the inference thread:
    // there the rows never wait behind the decode workers' backlog).
    List<Future<Void>> rows = new ArrayList<>();
    for (int from = 0; from < jobs.size(); from += ROWS_PER_TASK) {
      int first = from;
      int last = Math.min(jobs.size(), from + ROWS_PER_TASK);
      rows.add(workers.<Void>executeBlocking(() -> {
        for (int i = first; i < last; i++) {
          Job<K> job = jobs.get(i);
          job.dequeuedNanos = start;
          int offset = i * sampleValues;
          try {
            job.writer.write(batch, offset);
          } catch (Exception | LinkageError e) {
            // Recorded here, on the worker: the run must see it, whatever order callbacks fire in.
            job.rowFailure = e;
            zero(batch, offset);
          }
        }
        return null;
      }, false));
    }
    Future.join(rows)
        .transform(ignored -> runSplitting(task, batch, jobs, 0, jobs.size()))
        .onComplete(done -> {
          buffers.release(batch);
          outstanding--;
          maybeDispatch();
        });
  }

  /** Runs rows [first, first+n); on failure bisects so that only failing rows fail. */
  private Future<Void> runSplitting(K task, Buffer batch, List<Job<K>> jobs, int first, int n) {
    long start = System.nanoTime();
    Future<float[][]> run;
    try {
      run = runner.run(task, batch, first, n);
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    return run.transform(ar -> {
      if (ar.succeeded()) {
        long inferenceNanos = System.nanoTime() - start;
        float[][] out = ar.result();
        int rows = out == null ? 0 : out.length;
        for (int i = 0; i < n; i++) {
          Job<K> job = jobs.get(first + i);
          if (i < rows) {
            complete(job, out[i], inferenceNanos, jobs.size());
          } else {
            // A model that returns fewer rows than it was given: the rest fail, none hangs.
            job.promise.tryFail(new StageException(Reason.INFERENCE_FAILED, "the model returned " + rows
                + " output rows for a batch of " + n, false, null));
          }
        }
        return Future.succeededFuture();
      }
      if (n == 1) {
        Job<K> job = jobs.get(first);
        if (job.rowFailure == null) {
          job.promise.tryFail(new StageException(Reason.INFERENCE_FAILED,
              "inference failed: " + ar.cause().getMessage(), false, ar.cause()));
        } else {
          failRow(job);
        }
        return Future.succeededFuture();
      }
      int half = n / 2;
      return runSplitting(task, batch, jobs, first, half)
          .compose(v -> runSplitting(task, batch, jobs, first + half, n - half));
    });
  }

  private static void complete(Job<?> job, float[] row, long inferenceNanos, int batchSize) {
    if (job.rowFailure != null) {
      failRow(job);
    } else {
      job.promise.tryComplete(new RowResult(row, job.dequeuedNanos - job.enqueuedNanos,
          inferenceNanos, batchSize));
    }
  }

  private static void failRow(Job<?> job) {
    Throwable e = job.rowFailure;
    job.promise.tryFail(e instanceof StageException ? e
        : new StageException(Reason.DECODE_FAILED, "preprocessing failed: " + e, false, e));
  }

  /** Floats or bytes, as the tensor holds (the model's input type). */
  private void zero(Buffer batch, int offset) {
    if (batch instanceof FloatBuffer floats) {
      floats.put(offset, new float[sampleValues]);
    } else {
      ((ByteBuffer) batch).put(offset, new byte[sampleValues]);
    }
  }

  /** Handlers run on duplicates of the context, so the check is on the event-loop thread. */
  private void checkThread() {
    Thread owner = eventLoop;
    if (owner != null && owner != Thread.currentThread()) {
      throw new IllegalStateException("MicroBatcher used off its event loop: " + Thread.currentThread());
    }
  }
}
