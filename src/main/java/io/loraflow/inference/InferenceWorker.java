package io.loraflow.inference;

import io.loraflow.batch.BatchRunner;
import io.loraflow.metrics.ServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.Buffer;
import java.util.concurrent.TimeUnit;

/**
 * Runs the micro-batcher's batches on the {@link InferenceSession}, one at a time on a worker
 * thread of its own ({@code loraflow-inference}); ORT parallelises inside a run with its
 * intra-op threads. Long runs are expected there, so Vert.x's blocked-thread warning is set to
 * 10 minutes.
 *
 * <p>Concurrency: {@link #run} from the event loop; the run itself on the worker.
 */
public final class InferenceWorker implements BatchRunner<TaskRegistry.Resident> {
  private final InferenceSession session;
  private final WorkerExecutor worker;
  private final int sampleValues;
  private final ServiceMetrics metrics;

  public InferenceWorker(Vertx vertx, InferenceSession session, int sampleValues, ServiceMetrics metrics) {
    this.session = session;
    this.worker = vertx.createSharedWorkerExecutor("loraflow-inference", 1, 10, TimeUnit.MINUTES);
    this.sampleValues = sampleValues;
    this.metrics = metrics;
  }

  @Override
  public Future<float[][]> run(TaskRegistry.Resident task, Buffer batch, int first, int rows) {
    return worker.executeBlocking(() -> {
      long start = System.nanoTime();
      float[][] out = session.run(batch.duplicate().position(first * sampleValues).slice(), rows, task.adapter());
      metrics.inferenceRun(task.spec().name(), rows, System.nanoTime() - start);
      return out;
    }, false);
  }

  /**
   * The inference thread, for work that must run between two batches in order (writing the next
   * batch's rows): queued there, it never waits behind the decode workers' backlog.
   */
  public WorkerExecutor executor() {
    return worker;
  }

  public void close() {
    worker.close();
  }
}
