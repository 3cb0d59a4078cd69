package io.loraflow.service;

import static io.loraflow.config.LoraflowConfig.*;

import io.loraflow.batch.MicroBatcher;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.image.FetchOptions;
import io.loraflow.image.ImageDecoder;
import io.loraflow.image.ImageFetcher;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import io.loraflow.ingest.InFlightGate;
import io.loraflow.ingest.RecordIngest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.publish.ResultPublisher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.producer.KafkaProducer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service: wires ingest → image → batch → inference → publish → offsets for one
 * {@link LoraflowConfig}. Deploy one instance per JVM; scale out by running more JVMs in the same
 * consumer group.
 */
public final class ClassifierService extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);

  private final LoraflowConfig config;
  private final ServiceStats stats = new ServiceStats();
  private InferenceSession session;
  private WorkerExecutor decodeWorkers;
  private WorkerExecutor inferenceWorkers;
  private ResultPublisher publisher;
  private RecordIngest ingest;
  private InFlightGate gate;

  public ClassifierService(LoraflowConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    int maxBatch = config.getInt(MAX_BATCH_SIZE);
    ModelPackage model;
    try {
      model = ModelPackage.load(config.modelDir());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> InferenceSession.open(model, config.getString(INFERENCE_DEVICE),
            config.getInt(INFERENCE_THREADS), 1, maxBatch))
        .compose(s -> {
          session = s;
          wire(model, maxBatch);
          return ingest.start();
        })
        .onSuccess(v -> LOG.info("event=started input={} output={} dlq={} group={} maxBatch={} "
                + "maxQueueDelayMs={} maxInFlight={}", config.getString(INPUT_TOPIC),
            config.getString(OUTPUT_TOPIC), config.getString(DLQ_TOPIC), config.getString(GROUP_ID),
            maxBatch, config.getLong(MAX_QUEUE_DELAY_MS), config.getInt(MAX_IN_FLIGHT)));
  }

  private void wire(ModelPackage model, int maxBatch) {
    decodeWorkers = vertx.createSharedWorkerExecutor("loraflow-decode", config.getInt(DECODE_THREADS));
    // ORT runs one batch at a time on its own intra-op threads; long runs are expected here.
    inferenceWorkers = vertx.createSharedWorkerExecutor("loraflow-inference", 1, 10, TimeUnit.MINUTES);
    MicroBatcher batcher = new MicroBatcher(context, maxBatch, config.getLong(MAX_QUEUE_DELAY_MS), 2,
        model.sampleFloats(), () -> session.allocate(maxBatch), decodeWorkers,
        (batch, first, rows) -> inferenceWorkers.executeBlocking(() -> session.run(
            batch.duplicate().position(first * model.sampleFloats()).slice(), rows), false));
    publisher = new ResultPublisher(vertx, KafkaProducer.create(vertx, KafkaClients.producer(config)));
    Set<String> tasks = new HashSet<>(model.tasks());
    EventProcessor processor = new EventProcessor(vertx,
        new EventProcessor.Parts(new RequestParser(), new ImageFetcher(vertx, fetchOptions()),
            new ImageDecoder(config.getLong(IMAGE_MAX_PIXELS)),
            new Preprocessor(PreprocessSpec.fromJson(model.preprocess())), decodeWorkers, batcher,
            publisher, model, session.device(), tasks),
        new EventProcessor.Settings(config.getString(OUTPUT_TOPIC), config.getString(DLQ_TOPIC),
            config.getInt(RESULT_TOP_K), config.getInt(FETCH_RETRIES), config.getLong(FETCH_RETRY_BACKOFF_MS)),
        stats);
    gate = new InFlightGate(config.getInt(MAX_IN_FLIGHT));
    KafkaConsumer<Buffer, Buffer> consumer = KafkaConsumer.create(vertx, KafkaClients.consumer(config));
    ingest = new RecordIngest(vertx, consumer, config.getString(INPUT_TOPIC), gate,
        config.getLong(COMMIT_INTERVAL_MS), processor::process);
  }

  private FetchOptions fetchOptions() {
    return new FetchOptions(config.getList(FETCH_ALLOWED_ROOTS).stream().map(Path::of).toList(),
        config.getLong(FETCH_MAX_BYTES), config.getInt(FETCH_CONNECT_TIMEOUT_MS),
        config.getInt(FETCH_TIMEOUT_MS), config.getInt(FETCH_MAX_REDIRECTS),
        config.getList(FETCH_ALLOWED_TARGETS));
  }

  @Override
  public Future<?> stop() {
    LOG.info("event=stopping inFlight={}", ingest == null ? 0 : ingest.inFlight());
    Future<Void> stopped = ingest == null ? Future.succeededFuture()
        : ingest.stop(config.getLong(SHUTDOWN_TIMEOUT_MS));
    return stopped
        .eventually(() -> publisher == null ? Future.succeededFuture() : publisher.close())
        .eventually(() -> {
          if (decodeWorkers != null) {
            decodeWorkers.close();
            inferenceWorkers.close();
          }
          if (session != null) {
            session.close();
          }
          LOG.info("event=stopped results={} deadLetters={} peakInFlight={}", stats.results(),
              stats.deadLetters(), gate == null ? 0 : gate.peak());
          return Future.succeededFuture();
        });
  }

  public ServiceStats stats() {
    return stats;
  }

  /** Highest number of events in flight at once since start. */
  public int peakInFlight() {
    return gate == null ? 0 : gate.peak();
  }

  /** The ingest stage, for its pause and rebalance counters. */
  public RecordIngest ingest() {
    return ingest;
  }
}
