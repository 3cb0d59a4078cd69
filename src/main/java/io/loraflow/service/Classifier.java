package io.loraflow.service;

import io.loraflow.batch.MicroBatcher;
import io.loraflow.batch.RowResult;
import io.loraflow.cache.ResultCache;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.image.DecodeBudget;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.fetch.ImageFetcher;
import io.loraflow.fetch.ImageReference;
import io.loraflow.image.Preprocessor;
import io.loraflow.image.WorkerChunks;
import io.loraflow.inference.Classification;
import io.loraflow.inference.Device;
import io.loraflow.inference.TaskRegistry;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.metrics.ServiceMetrics.Stage;
import io.loraflow.metrics.Thumbnail;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.util.function.IntConsumer;

/**
 * Classifies one {@link ImageRequest}: fetch (with bounded retries of transient faults) → result
 * cache lookup (when enabled; a hit ends here) → decode → batch → inference → top-k. Shared by the
 * Kafka path and {@code POST /v1/classify}, so both answer alike. Failures are
 * {@link StageException}s carrying the dead-letter reason and the number of fetch attempts made.
 *
 * <p>Concurrency: event loop; decoding runs on the decode workers.
 */
public final class Classifier {
  private final Vertx vertx;
  private final ImageFetcher fetcher;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;
  private final WorkerChunks workers;
  private final DecodeBudget budget;
  private final MicroBatcher<TaskRegistry.Resident> batcher;
  private final TaskRegistry tasks;
  private final ModelPackage model;
  private final Device device;
  /** Null when cache.enabled is false. */
  private final ResultCache cache;
  /** The model's part of the cache key. */
  private final String modelVersion;
  private final int defaultTopK;
  private final int fetchRetries;
  private final long fetchBackoffMs;
  private final ServiceMetrics metrics;

  Classifier(Vertx vertx, Parts parts, int defaultTopK, int fetchRetries, long fetchBackoffMs,
      ServiceMetrics metrics) {
    this.vertx = vertx;
    this.fetcher = parts.fetcher();
    this.decoder = parts.decoder();
    this.preprocessor = parts.preprocessor();
    this.workers = parts.workers();
    this.budget = parts.budget();
    this.batcher = parts.batcher();
    this.tasks = parts.tasks();
    this.model = parts.model();
    this.device = parts.device();
    this.cache = parts.cache();
    this.modelVersion = model.name() + " " + model.version();
    this.defaultTopK = defaultTopK;
    this.fetchRetries = fetchRetries;
    this.fetchBackoffMs = fetchBackoffMs;
    this.metrics = metrics;
  }

  /** The collaborators, built by {@link ClassifierService}. */
  record Parts(ImageFetcher fetcher, ImageDecoder decoder, Preprocessor preprocessor,
      WorkerChunks workers, DecodeBudget budget, MicroBatcher<TaskRegistry.Resident> batcher, ModelPackage model,
      Device device, TaskRegistry tasks, ResultCache cache) {
  }

  /**
   * Classifies {@code request}; {@code attempts} hears the number of fetch attempts made (1
   * unless a transient fault was retried), success or failure.
   */
  Future<Classification> classify(ImageRequest request, IntConsumer attempts) {
    String task = request.task() != null ? request.task() : model.defaultTask();
    if (!tasks.isKnown(task)) {
      return Future.failedFuture(unknownTask(task));
    }
    if (request.expired()) {
      return Future.failedFuture(expired(request));
    }
    Work work = new Work(task, request.topK() != null ? request.topK() : defaultTopK);
    ImageReference ref = null;
    if (request.inlineBytes() == null) {
      try {
        ref = ImageReference.parse(request.image());
      } catch (StageException e) {
        return Future.failedFuture(e);
      }
    }
    boolean wantThumbnail = metrics.recent().wantsThumbnail();
    Future<DecodedImage> decoded;
    if (ref instanceof ImageReference.LocalFile file) {
      // A file is read where it is decoded: one worker trip for both, shared with the other
      // events of this turn.
      decoded = withinBudget(0, () -> {
        byte[] b = fetcher.readFile(file);
        work.fetchedNanos = System.nanoTime();
        return decode(work, b, wantThumbnail);
      });
    } else {
      // A record that carries the image goes through the fetcher too: one place for its size limit.
      decoded = budget.beforeFetch().compose(v -> request.inlineBytes() != null
              ? fetcher.fetch(ImageReference.inline(request.inlineBytes().getBytes()))
              : fetchWithRetries(request.image(), work))
          .compose(b -> {
            work.fetchedNanos = System.nanoTime();
            budget.fetched(b.length());
            return withinBudget(b.length(), () -> decode(work, b.getBytes(), wantThumbnail));
          });
    }
    return decoded
        .compose(image -> {
          work.decodedNanos = System.nanoTime();
          metrics.stage(Stage.FETCH, work.fetchedNanos - work.startNanos);
          metrics.stage(Stage.DECODE, work.decodedNanos - work.fetchedNanos);
          if (work.cached != null) {
            return Future.<RowResult>succeededFuture(null); // answered now: a deadline cannot have passed
          }
          long size = image.pixels().length;
          if (request.expired()) {
            budget.released(size);
            return Future.failedFuture(expired(request));
          }
          return batcher.submit(work.adapter, (batch, offset) -> preprocessor.writeTo(image, batch, offset))
              .andThen(ar -> budget.released(size));
        })
        .map(row -> {
          TopK.Prediction p = row == null ? work.cached : predict(work, row);
          if (work.thumbnail != null) {
            metrics.recent().add(request.id(), new JsonArray(p.labels()), new JsonArray(p.scores()), work.thumbnail);
          }
          return new Classification(request.id(), p.labels(), p.scores(), model.name(), model.version(), task,
              device.name(), request.attributes(), row == null ? 0 : row.batchSize(),
              new Classification.Timings(work.fetchedNanos - work.startNanos, work.decodedNanos - work.fetchedNanos,
                  row == null ? 0 : row.queueNanos(), row == null ? 0 : row.inferenceNanos(),
                  System.nanoTime() - work.startNanos),
              System.currentTimeMillis(), row == null);
        })
        .recover(e -> Future.failedFuture(e instanceof StageException ? e
            : new StageException(Reason.INTERNAL_ERROR, "unexpected error: " + e, false, e)))
        .onComplete(done -> {
          attempts.accept(work.attempts);
          if (work.adapter != null) {
            tasks.release(work.adapter);
          }
        });
  }

  /**
   * Decodes on a worker once the {@link DecodeBudget} has room; the image counts against it until
   * run, the {@code fetched} bytes it was decoded from until then.
   */
  private Future<DecodedImage> withinBudget(long fetched, java.util.concurrent.Callable<DecodedImage> job) {
    return budget.acquire().compose(v -> workers.submit(job)).andThen(ar -> {
      if (ar.succeeded()) {
        budget.decoded(fetched, ar.result() == null ? 0 : ar.result().pixels().length); // null: a cache hit
      } else {
        budget.failed(fetched);
      }
    });
  }

  /** Top-k of an inference row; stored in the cache under the adapter generation that computed it. */
  private TopK.Prediction predict(Work work, RowResult row) {
    metrics.stage(Stage.QUEUE, row.queueNanos());
    metrics.stage(Stage.INFERENCE, row.inferenceNanos());
    TopK.Prediction p = TopK.of(row.output(), model.outputIsLogits(), work.adapter.spec().labels(), work.k);
    if (work.cacheKey != null) {
      ResultCache.Key k = work.cacheKey;
      cache.put(new ResultCache.Key(k.model(), k.task(), work.adapter.generation(), k.k(), k.sha256()), p);
    }
    return p;
  }

  /**
   * On a worker: looks the bytes up in the result cache (a hit returns null, the answer in
   * {@code work.cached}); else takes the task's adapter (loading it if it is not resident) and decodes.
   */
  private DecodedImage decode(Work work, byte[] bytes, boolean wantThumbnail) throws ai.onnxruntime.OrtException {
    if (cache != null) {
      work.cacheKey = ResultCache.key(bytes, modelVersion, work.task, tasks.generation(work.task), work.k);
      work.cached = cache.get(work.cacheKey);
      if (work.cached != null) {
        return null;
      }
    }
    work.adapter = tasks.acquire(work.task);
    if (work.adapter == null) {
      throw unknownTask(work.task);
    }
    DecodedImage image = decoder.decode(bytes);
    if (wantThumbnail) {
      work.thumbnail = Thumbnail.dataUri(image, 96);
    }
    return image;
  }

  /**
   * One classification's progress. Fields set on a decode worker are read on the event loop only
   * after the worker's future completed (which orders the accesses).
   */
  private static final class Work {
    final String task;
    final int k;
    final long startNanos = System.nanoTime();
    int attempts = 1;
    long fetchedNanos;
    long decodedNanos;
    TaskRegistry.Resident adapter;
    String thumbnail;
    ResultCache.Key cacheKey;
    TopK.Prediction cached;

    Work(String task, int k) {
      this.task = task;
      this.k = k;
    }
  }

  private StageException unknownTask(String task) {
    return new StageException(Reason.UNKNOWN_TASK, "unknown task '" + task + "'; this service serves "
        + tasks.names());
  }

  private static StageException expired(ImageRequest request) {
    return new StageException(Reason.EXPIRED, "deadline " + request.deadline() + " passed before inference");
  }

  private Future<Buffer> fetchWithRetries(String reference, Work work) {
    Future<Buffer> f;
    try {
      f = fetcher.fetch(ImageReference.parse(reference));
    } catch (StageException e) {
      return Future.failedFuture(e);
    }
    return f.recover(e -> {
      if (e instanceof StageException se && se.isTransient()) {
        if (work.attempts <= fetchRetries) {
          long backoff = fetchBackoffMs << (work.attempts - 1);
          work.attempts++;
          return delay(backoff).compose(v -> fetchWithRetries(reference, work));
        }
        if (work.attempts > 1) {
          return Future.failedFuture(new StageException(se.reason(), se.getMessage()
              + " (retries exhausted after " + work.attempts + " attempts)", true, se));
        }
      }
      return Future.failedFuture(e);
    });
  }

  private Future<Void> delay(long ms) {
    if (ms <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    vertx.setTimer(ms, id -> p.complete());
    return p.future();
  }
}
