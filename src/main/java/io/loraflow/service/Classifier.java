package io.loraflow.service;

import io.loraflow.batch.MicroBatcher;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.ImageFetcher;
import io.loraflow.image.ImageReference;
import io.loraflow.image.Preprocessor;
import io.loraflow.image.WorkerChunks;
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
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Classifies one {@link ImageRequest}: fetch (with bounded retries of transient faults) → decode
 * → batch → inference → top-k. Shared by the Kafka path and {@code POST /v1/classify}, so both
 * answer alike. Failures are {@link StageException}s carrying the dead-letter reason and the
 * number of fetch attempts made.
 *
 * <p>Concurrency: event loop; decoding runs on the decode workers.
 */
public final class Classifier {
  private final Vertx vertx;
  private final ImageFetcher fetcher;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;
  private final WorkerChunks workers;
  private final MicroBatcher<TaskRegistry.Resident> batcher;
  private final TaskRegistry tasks;
  private final ModelPackage model;
  private final Device device;
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
    this.batcher = parts.batcher();
    this.tasks = parts.tasks();
    this.model = parts.model();
    this.device = parts.device();
    this.defaultTopK = defaultTopK;
    this.fetchRetries = fetchRetries;
    this.fetchBackoffMs = fetchBackoffMs;
    this.metrics = metrics;
  }

  /** The collaborators, built by {@link ClassifierService}. */
  record Parts(ImageFetcher fetcher, ImageDecoder decoder, Preprocessor preprocessor,
      WorkerChunks workers, MicroBatcher<TaskRegistry.Resident> batcher, ModelPackage model,
      Device device, TaskRegistry tasks) {
  }

  /**
   * The result JSON (schemas/classification-result.schema.json) without its {@code source};
   * {@code attempts[0]} is left at the number of fetch attempts made.
   */
  Future<JsonObject> classify(ImageRequest request, int[] attempts) {
    String task = request.task() != null ? request.task() : model.defaultTask();
    if (!tasks.isKnown(task)) {
      return Future.failedFuture(unknownTask(task));
    }
    if (request.expired()) {
      return Future.failedFuture(expired(request));
    }
    long start = System.nanoTime();
    long[] marks = new long[2];
    String[] thumbnail = new String[1];
    TaskRegistry.Resident[] acquired = new TaskRegistry.Resident[1];
    attempts[0] = 1;
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
      decoded = workers.submit(() -> {
        byte[] b = fetcher.readFile(file);
        marks[0] = System.nanoTime();
        return decode(task, b, wantThumbnail, acquired, thumbnail);
      });
    } else {
      // A record that carries the image goes through the fetcher too: one place for its size limit.
      Future<Buffer> bytes = request.inlineBytes() != null
          ? fetcher.fetch(ImageReference.inline(request.inlineBytes().getBytes()))
          : fetchWithRetries(request.image(), attempts);
      decoded = bytes.compose(b -> {
        marks[0] = System.nanoTime();
        return workers.submit(() -> decode(task, b.getBytes(), wantThumbnail, acquired, thumbnail));
      });
    }
    return decoded
        .compose(image -> {
          marks[1] = System.nanoTime();
          metrics.stage(Stage.FETCH, marks[0] - start);
          metrics.stage(Stage.DECODE, marks[1] - marks[0]);
          if (request.expired()) {
            return Future.failedFuture(expired(request));
          }
          return batcher.submit(acquired[0], (batch, offset) -> preprocessor.writeTo(image, batch, offset));
        })
        .map(row -> {
          metrics.stage(Stage.QUEUE, row.queueNanos());
          metrics.stage(Stage.INFERENCE, row.inferenceNanos());
          TopK.Prediction p = TopK.of(row.output(), model.outputIsLogits(), acquired[0].spec().labels(),
              request.topK() != null ? request.topK() : defaultTopK);
          JsonObject modelJson = new JsonObject().put("name", model.name()).put("version", model.version())
              .put("task", task);
          JsonArray labels = new JsonArray(p.labels());
          JsonArray scores = new JsonArray(p.scores());
          if (thumbnail[0] != null) {
            metrics.recent().add(request.id(), labels, scores, thumbnail[0]);
          }
          JsonObject json = new JsonObject().put("id", request.id()).put("labels", labels)
              .put("scores", scores).put("model", modelJson).put("device", device.name());
          if (request.attributes() != null) {
            json.put("attributes", request.attributes());
          }
          return json.put("batchSize", row.batchSize())
              .put("timingsMs", new JsonObject()
                  .put("fetch", ms(marks[0] - start))
                  .put("decode", ms(marks[1] - marks[0]))
                  .put("queue", ms(row.queueNanos()))
                  .put("inference", ms(row.inferenceNanos()))
                  .put("total", ms(System.nanoTime() - start)))
              .put("timestamp", Instant.now().toString());
        })
        .recover(e -> Future.failedFuture(e instanceof StageException ? e
            : new StageException(Reason.INTERNAL_ERROR, "unexpected error: " + e, false, e)))
        .onComplete(done -> {
          if (acquired[0] != null) {
            tasks.release(acquired[0]);
          }
        });
  }

  /** On a worker: takes the task's adapter (loading it if it is not resident) and decodes. */
  private DecodedImage decode(String task, byte[] bytes, boolean wantThumbnail, TaskRegistry.Resident[] acquired,
      String[] thumbnail) throws ai.onnxruntime.OrtException {
    acquired[0] = tasks.acquire(task);
    if (acquired[0] == null) {
      throw unknownTask(task);
    }
    DecodedImage image = decoder.decode(bytes);
    if (wantThumbnail) {
      thumbnail[0] = Thumbnail.dataUri(image, 96);
    }
    return image;
  }

  private StageException unknownTask(String task) {
    return new StageException(Reason.UNKNOWN_TASK, "unknown task '" + task + "'; this service serves "
        + tasks.names());
  }

  private static StageException expired(ImageRequest request) {
    return new StageException(Reason.EXPIRED, "deadline " + request.deadline() + " passed before inference");
  }

  private Future<Buffer> fetchWithRetries(String reference, int[] attempts) {
    Future<Buffer> f;
    try {
      f = fetcher.fetch(ImageReference.parse(reference));
    } catch (StageException e) {
      return Future.failedFuture(e);
    }
    return f.recover(e -> {
      if (e instanceof StageException se && se.isTransient()) {
        if (attempts[0] <= fetchRetries) {
          long backoff = fetchBackoffMs << (attempts[0] - 1);
          attempts[0]++;
          return delay(backoff).compose(v -> fetchWithRetries(reference, attempts));
        }
        if (attempts[0] > 1) {
          return Future.failedFuture(new StageException(se.reason(), se.getMessage()
              + " (retries exhausted after " + attempts[0] + " attempts)", true, se));
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

  private static double ms(long nanos) {
    return Math.round(Math.max(0, nanos) / 10_000.0) / 100.0;
  }
}
