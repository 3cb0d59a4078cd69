package io.loraflow.service;

import io.loraflow.batch.MicroBatcher;
import io.loraflow.batch.RowResult;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.loraflow.image.DecodedImage;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.ImageFetcher;
import io.loraflow.image.ImageReference;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.Device;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TopK;
import io.loraflow.ingest.ImageRequest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.publish.EventRecords;
import io.loraflow.publish.ResultPublisher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Takes one input record through the stages (parse → fetch → decode → batch → inference →
 * publish) and publishes exactly one outcome for it: a result, or a dead letter naming the reason.
 * The returned future completes when that outcome is acknowledged, and never fails while the
 * publisher is open.
 *
 * <p>Concurrency: event loop, except decoding and preprocessing which run on the decode workers.
 */
final class EventProcessor {
  private final Vertx vertx;
  private final RequestParser parser;
  private final ImageFetcher fetcher;
  private final ImageDecoder decoder;
  private final Preprocessor preprocessor;
  private final WorkerExecutor decodeWorkers;
  private final MicroBatcher batcher;
  private final ResultPublisher publisher;
  private final ModelPackage model;
  private final Device device;
  private final Set<String> tasks;
  private final String outputTopic;
  private final String dlqTopic;
  private final int defaultTopK;
  private final int fetchRetries;
  private final long fetchBackoffMs;
  private final ServiceStats stats;

  EventProcessor(Vertx vertx, Parts parts, Settings settings, ServiceStats stats) {
    this.vertx = vertx;
    this.parser = parts.parser();
    this.fetcher = parts.fetcher();
    this.decoder = parts.decoder();
    this.preprocessor = parts.preprocessor();
    this.decodeWorkers = parts.decodeWorkers();
    this.batcher = parts.batcher();
    this.publisher = parts.publisher();
    this.model = parts.model();
    this.device = parts.device();
    this.tasks = parts.tasks();
    this.outputTopic = settings.outputTopic();
    this.dlqTopic = settings.dlqTopic();
    this.defaultTopK = settings.defaultTopK();
    this.fetchRetries = settings.fetchRetries();
    this.fetchBackoffMs = settings.fetchBackoffMs();
    this.stats = stats;
  }

  /** The collaborators, built by {@link ClassifierService}. */
  record Parts(RequestParser parser, ImageFetcher fetcher, ImageDecoder decoder,
      Preprocessor preprocessor, WorkerExecutor decodeWorkers, MicroBatcher batcher,
      ResultPublisher publisher, ModelPackage model, Device device, Set<String> tasks) {
  }

  /** The settings this stage reads. */
  record Settings(String outputTopic, String dlqTopic, int defaultTopK, int fetchRetries,
      long fetchBackoffMs) {
  }

  Future<Void> process(KafkaConsumerRecord<Buffer, Buffer> record) {
    Timings timings = new Timings();
    String defaultId = record.topic() + "-" + record.partition() + "-" + record.offset();
    ImageRequest request;
    try {
      request = parser.parse(record.value(), headers(record), defaultId);
      if (request.task() != null && !tasks.contains(request.task())) {
        throw new StageException(Reason.UNKNOWN_TASK, "unknown task '" + request.task()
            + "'; this model package serves " + tasks);
      }
    } catch (StageException e) {
      return deadLetter(record, null, e, 1);
    }
    int[] attempts = {1};
    Future<Buffer> bytes = request.inlineBytes() != null
        ? Future.succeededFuture(request.inlineBytes())
        : fetchWithRetries(request.image(), attempts);
    return bytes
        .compose(b -> {
          timings.fetched();
          return decodeWorkers.executeBlocking(() -> decoder.decode(b.getBytes()), false);
        })
        .compose(image -> {
          timings.decoded();
          return batcher.submit((batch, offset) -> preprocessor.writeTo(image, batch, offset));
        })
        .compose(row -> publisher.send(EventRecords.result(outputTopic, record,
            result(request, record, row, timings))))
        .onSuccess(v -> stats.published(null))
        .recover(e -> deadLetter(record, request.id(), asStageException(e), attempts[0]));
  }

  private Future<Buffer> fetchWithRetries(String reference, int[] attempts) {
    Future<Buffer> f;
    try {
      f = fetcher.fetch(ImageReference.parse(reference));
    } catch (StageException e) {
      return Future.failedFuture(e);
    }
    return f.recover(e -> {
      if (e instanceof StageException se && se.isTransient() && attempts[0] <= fetchRetries) {
        long backoff = fetchBackoffMs << (attempts[0] - 1);
        attempts[0]++;
        return delay(backoff).compose(v -> fetchWithRetries(reference, attempts));
      }
      if (e instanceof StageException se && se.isTransient() && attempts[0] > 1) {
        return Future.failedFuture(new StageException(se.reason(), se.getMessage()
            + " (gave up after " + attempts[0] + " attempts)", true, se));
      }
      return Future.failedFuture(e);
    });
  }

  private Future<Void> delay(long ms) {
    if (ms <= 0) {
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    vertx.setTimer(ms, id -> p.complete());
    return p.future();
  }

  private JsonObject result(ImageRequest request, KafkaConsumerRecord<?, ?> record, RowResult row,
      Timings timings) {
    TopK.Prediction p = TopK.of(row.output(), model.outputIsLogits(), model.labels(),
        request.topK() != null ? request.topK() : defaultTopK);
    JsonObject modelJson = new JsonObject().put("name", model.name()).put("version", model.version());
    if (request.task() != null) {
      modelJson.put("task", request.task());
    }
    JsonObject json = new JsonObject()
        .put("id", request.id())
        .put("labels", new JsonArray(p.labels()))
        .put("scores", new JsonArray(p.scores()))
        .put("model", modelJson)
        .put("device", device.name())
        .put("source", EventRecords.source(record));
    if (request.attributes() != null) {
      json.put("attributes", request.attributes());
    }
    return json.put("batchSize", row.batchSize())
        .put("timingsMs", timings.toJson(row.queueNanos(), row.inferenceNanos()))
        .put("timestamp", Instant.now().toString());
  }

  private Future<Void> deadLetter(KafkaConsumerRecord<Buffer, Buffer> record, String id,
      StageException error, int attempts) {
    stats.published(error.reason());
    return publisher.send(EventRecords.deadLetter(dlqTopic, record, id, error, attempts));
  }

  private static StageException asStageException(Throwable e) {
    if (e instanceof StageException se) {
      return se;
    }
    return new StageException(Reason.INFERENCE_FAILED, "unexpected error: " + e, false, e);
  }

  private static Map<String, String> headers(KafkaConsumerRecord<Buffer, Buffer> record) {
    Map<String, String> out = new HashMap<>();
    record.headers().forEach(h -> out.put(h.key().toLowerCase(Locale.ROOT), h.value() == null ? "" : h.value().toString()));
    return out;
  }
}
