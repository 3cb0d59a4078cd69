package io.loraflow.service;

import static io.loraflow.config.LoraflowConfig.*;

import io.loraflow.BuildInfo;
import io.loraflow.batch.BatchRunner;
import io.loraflow.batch.MicroBatcher;
import io.loraflow.broker.BrokerWatch;
import io.loraflow.cache.ResultCache;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.http.HttpApi;
import io.loraflow.http.TaskAdmin;
import io.loraflow.fetch.FetchOptions;
import io.loraflow.image.DecodeBudget;
import io.loraflow.image.ImageDecoder;
import io.loraflow.fetch.ImageFetcher;
import io.loraflow.fetch.S3Options;
import io.loraflow.image.PreprocessSpec;
import io.loraflow.image.Preprocessor;
import io.loraflow.image.WorkerChunks;
import io.loraflow.inference.InferenceSession;
import io.loraflow.publish.Publishing;
import io.loraflow.inference.InferenceWorker;
import io.loraflow.inference.AdapterFolder;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TaskRegistry;
import io.loraflow.ingest.InFlightGate;
import io.loraflow.ingest.Ingest;
import io.loraflow.ingest.RecordIngest;
import io.loraflow.share.ShareBacklog;
import io.loraflow.share.ShareGroupSetup;
import io.loraflow.share.ShareIngest;
import io.loraflow.ingest.RequestParser;
import io.loraflow.metrics.ServiceMetrics;
import io.loraflow.publish.Publisher;
import io.loraflow.publish.ResultJson;
import io.loraflow.tracing.EventTracer;
import io.loraflow.tracing.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.vertx.core.buffer.Buffer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import java.util.Map;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service: wires ingest → image → batch → inference → publish → offsets for one
 * {@link LoraflowConfig}, plus its HTTP surface. Deploy one per JVM; scale out by running more
 * JVMs in the same consumer group, or share group ({@code group.type=share}, {@link ShareIngest}).
 */
public final class ClassifierService extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);

  private final LoraflowConfig config;
  private final ServiceMetrics metrics;
  /** One compiled request schema for Kafka records and HTTP requests (both on the event loop). */
  private final RequestParser parser = new RequestParser();
  private final ServiceStatus status;
  /** Wrapped around the inference stage: identity, except in tests that stand in a slower device. */
  private final UnaryOperator<BatchRunner<TaskRegistry.Resident>> device;
  private InferenceSession session;
  private WorkerExecutor decodeWorkers;
  private InferenceWorker inference;
  private BrokerWatch brokerWatch;
  private Publisher publisher;
  /** Made on a worker at start (an S3 client may resolve its region); then event loop only. */
  private ImageFetcher fetcher;
  private final Promise<Void> fatal = Promise.promise();
  private final EventTracer tracer;
  private Ingest ingest;
  private InFlightGate gate;
  private HttpServer http;
  private volatile boolean modelReady;
  private long timelineTimer = -1;

  public ClassifierService(LoraflowConfig config) {
    this(config, ServiceMetrics.newRegistry());
  }

  public ClassifierService(LoraflowConfig config, MeterRegistry registry) {
    this(config, registry, OpenTelemetry.noop(), UnaryOperator.identity());
  }

  /**
   * {@code registry} is shared with the Vert.x metrics module when the caller enables it;
   * {@code otel} traces events when {@code tracing=opentelemetry} (see {@link Tracing}).
   */
  public ClassifierService(LoraflowConfig config, MeterRegistry registry, OpenTelemetry otel) {
    this(config, registry, otel, UnaryOperator.identity());
  }

  /**
   * As above, with {@code device} wrapped around the inference stage. Tests use it to make each
   * batch take a fixed wall time, as a GPU would, where the test model is near free: a seam in
   * code, not a setting, so no deployment can slow itself by mistake.
   */
  public ClassifierService(LoraflowConfig config, MeterRegistry registry, OpenTelemetry otel,
      UnaryOperator<BatchRunner<TaskRegistry.Resident>> device) {
    this.config = config;
    this.tracer = Tracing.eventTracer(config, otel);
    this.device = device;
    this.metrics = new ServiceMetrics(registry);
    this.status = new ServiceStatus(metrics, config.getInt(MAX_IN_FLIGHT), config.getString(GROUP_TYPE),
        () -> modelReady,
        () -> session == null ? null : session.device().name(), () -> ingest, () -> gate,
        () -> brokerWatch == null || brokerWatch.reachable());
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
    LOG.info("event=starting version={} commit={} model={} input={} group={}", BuildInfo.current().version(),
        BuildInfo.current().commit(), config.modelDir(), config.getString(INPUT_TOPIC), config.getString(GROUP_ID));
    // The dashboard's series: one point a second, kept here so a fresh page has history.
    timelineTimer = vertx.setPeriodic(1000, id -> status.sample(System.currentTimeMillis()));
    Future<Void> httpUp = startHttpIfEnabled(model);
    return httpUp
        .compose(v -> vertx.executeBlocking(() -> {
          TopicCheck.requireExisting(KafkaClients.admin(config), List.of(config.getString(INPUT_TOPIC),
              config.getString(OUTPUT_TOPIC), config.getString(DLQ_TOPIC)), 30_000);
          if (shareGroup()) {
            ShareGroupSetup.applyAutoOffsetReset(KafkaClients.admin(config), config.getString(GROUP_ID),
                config.getString(SHARE_AUTO_OFFSET_RESET), 30_000);
          }
          // Here, not on the event loop: without fetch.s3.region the SDK's region chain may ask
          // the instance metadata service, which takes seconds off EC2.
          fetcher = new ImageFetcher(vertx, fetchOptions());
          return null;
        }))
        .compose(v -> vertx.executeBlocking(() -> InferenceSession.open(model,
            config.getString(INFERENCE_DEVICE), config.getNamedValues(INFERENCE_CUDA_OPTIONS),
            config.getInt(INFERENCE_THREADS), 1, maxBatch)))
        .compose(s -> {
          session = s;
          modelReady = true;
          return wire(model, maxBatch);
        })
        .compose(v -> ingest.start())
        .onSuccess(v -> {
          if (ingest instanceof RecordIngest records) {
            new KafkaClientMetrics(records.pollLoop().metricsSource()).bindTo(metrics.registry());
          } else if (ingest instanceof ShareIngest share) {
            new KafkaClientMetrics(share.metricsSource()).bindTo(metrics.registry());
          }
        })
        .onSuccess(v -> LOG.info("event=started input={} output={} dlq={} group={} groupType={} device={} tasks={} "
                + "decoders=\"{}\" maxBatch={} maxQueueDelayMs={} maxInFlight={} guarantee={} httpPort={}",
            config.getString(INPUT_TOPIC), config.getString(OUTPUT_TOPIC), config.getString(DLQ_TOPIC),
            config.getString(GROUP_ID), config.getString(GROUP_TYPE), session.device(), tasks.names(),
            ImageDecoder.backends(), maxBatch,
            config.getLong(MAX_QUEUE_DELAY_MS), config.getInt(MAX_IN_FLIGHT),
            config.getString(PROCESSING_GUARANTEE), httpPort()));
  }

  private Classifier classifier;
  private TaskRegistry tasks;
  private AdapterFolder adapterFolder;

  /** {@code image.max.buffered.bytes}, or a quarter of the heap when it is 0. */
  static long decodedBytesBudget(LoraflowConfig config) {
    long set = config.getLong(IMAGE_MAX_BUFFERED_BYTES);
    return set > 0 ? set : Runtime.getRuntime().maxMemory() / 4;
  }

  /** The result cache with its metrics, or null when cache.enabled is false. */
  private ResultCache resultCache() {
    if (!config.getBoolean(CACHE_ENABLED)) {
      return null;
    }
    ResultCache cache = new ResultCache(config.getInt(CACHE_MAX_ENTRIES), config.getLong(CACHE_TTL_MS));
    cache.bindTo(metrics.registry());
    return cache;
  }

  private Future<Void> wire(ModelPackage model, int maxBatch) {
    decodeWorkers = vertx.createSharedWorkerExecutor("loraflow-decode", config.getInt(DECODE_THREADS));
    inference = new InferenceWorker(vertx, session, model.sampleValues(), metrics);
    tasks = new TaskRegistry(model.multiTask() ? model.tasks().values() : List.of(model.tasks().get(model.defaultTask())),
        Set.copyOf(config.getList(ADAPTERS_PINNED)), config.getInt(ADAPTERS_MAX_RESIDENT));
    MicroBatcher<TaskRegistry.Resident> batcher = new MicroBatcher<>(context, maxBatch,
        config.getLong(MAX_QUEUE_DELAY_MS), 2, model.sampleValues(), () -> session.allocate(maxBatch),
        inference.executor(), device.apply(inference));
    DecodeBudget budget = new DecodeBudget(decodedBytesBudget(config));
    metrics.gauge("loraflow.decoded.bytes.buffered", "Bytes of decoded images waiting for inference "
        + "(bounded by image.max.buffered.bytes)", budget::buffered);
    classifier = new Classifier(vertx,
        new Classifier.Parts(fetcher,
            new ImageDecoder(config.getLong(IMAGE_MAX_PIXELS)),
            new Preprocessor(PreprocessSpec.fromJson(model.preprocess())), new WorkerChunks(context, decodeWorkers, 8),
            budget, batcher, model, session.device(), tasks, resultCache()),
        config.getInt(RESULT_TOP_K), config.getInt(FETCH_RETRIES), config.getLong(FETCH_RETRY_BACKOFF_MS),
        metrics);
    Map<String, Object> producerProps = KafkaClients.producer(config);
    // Exactly-once is refused in share mode (LoraflowConfig): the ingest it resets is a RecordIngest.
    Publishing publishing = KafkaClients.exactlyOnce(config)
        ? Publishing.exactlyOnce(vertx, producerProps, done -> ((RecordIngest) ingest).reset(done), this::fail)
        : Publishing.atLeastOnce(vertx, producerProps);
    publisher = publishing.publisher();
    EventProcessor processor = new EventProcessor(parser, classifier, publisher, metrics,
        new EventProcessor.Settings(config.getString(OUTPUT_TOPIC), config.getString(DLQ_TOPIC),
            config.getString(ORDERING).equals("partition"), config.getLong(EVENT_MAX_AGE_MS),
            KafkaClients.maxRequestSize(producerProps), model.defaultTask(),
            shareGroup() ? config.getInt(SHARE_MAX_DELIVERIES) : 0), tracer, this::fail);
    gate = new InFlightGate(config.getInt(MAX_IN_FLIGHT));
    ingest = shareGroup()
        ? new ShareIngest(vertx, KafkaClients.shareConsumer(config), config.getString(INPUT_TOPIC), gate,
            processor::process, new ShareBacklog(KafkaClients.admin(config), config.getString(GROUP_ID),
                config.getString(INPUT_TOPIC), config.getString(SHARE_AUTO_OFFSET_RESET)), metrics.registry(),
            this::fail)
        : new RecordIngest(vertx, KafkaClients.consumer(config), config.getString(INPUT_TOPIC), gate,
            publishing.sink(), config.getLong(COMMIT_INTERVAL_MS), processor::process, this::fail);
    brokerWatch = new BrokerWatch(KafkaClients.admin(config));
    metrics.gauge("loraflow.broker.reachable", "1 while the Kafka cluster answers, 0 during an outage",
        () -> brokerWatch.reachable() ? 1 : 0);
    Future<Void> ready = publishing.ready(vertx, metrics.registry(), config.getString(OUTPUT_TOPIC),
        config.getString(DLQ_TOPIC));
    metrics.gauge("loraflow.events.in.flight", "Events between ingest and publish", () -> ingest.processing());
    metrics.gauge("loraflow.events.queued", "Events waiting for a batch", batcher::queued);
    metrics.gauge("loraflow.consumer.lag", "Consumer group: records behind the log end of this instance's partitions "
        + "(asked of the broker every 2 s). Share group: the group's backlog, records no member has settled yet, the "
        + "same on every instance (every 5 s)", () -> ingest.lag());
    metrics.gauge("loraflow.partitions.paused", "Assigned partitions paused for backpressure",
        () -> ingest.pausedPartitions());
    metrics.info("loraflow.inference.device", "The device inference runs on",
        "device", session.device().name().toLowerCase(java.util.Locale.ROOT));
    metrics.info("loraflow.model", "The model package served", "model", model.name(), "version", model.version());
    tasks.names().forEach(metrics::task);
    if (model.multiTask() && !config.getString(ADAPTERS_DIR).isBlank()) {
      adapterFolder = new AdapterFolder(vertx, Path.of(config.getString(ADAPTERS_DIR)), tasks,
          config.getLong(ADAPTERS_SCAN_INTERVAL_MS));
      adapterFolder.start();
    } else if (!config.getString(ADAPTERS_DIR).isBlank()) {
      LOG.warn("event=adapters_dir_ignored reason=\"model package has no lora_base_model and one task\"");
    }
    metrics.gauge("loraflow.tasks.resident", "Task adapters loaded in ONNX Runtime", () -> tasks.residentNames().size());
    return ready;
  }

  /** A fault the service cannot recover from by itself: it stops, and {@link #failed()} completes. */
  private void fail(Throwable cause) {
    if (fatal.tryComplete()) {
      LOG.error("event=fatal error={} action=undeploying", cause.toString());
      vertx.undeploy(deploymentID());
    }
  }

  /** Completes if the service stopped on a fatal fault; {@code serve} then exits with status 1. */
  public Future<Void> failed() {
    return fatal.future();
  }

  /** Where {@code PUT /admin/tasks} may read adapters from: the model package and adapters.dir. */
  private List<Path> adminDirs() {
    List<Path> dirs = new java.util.ArrayList<>(List.of(config.modelDir()));
    if (!config.getString(ADAPTERS_DIR).isBlank()) {
      dirs.add(Path.of(config.getString(ADAPTERS_DIR)));
    }
    return dirs;
  }

  private Future<Void> startHttpIfEnabled(ModelPackage model) {
    int port = config.getInt(HTTP_PORT);
    if (port < 0) {
      return Future.succeededFuture();
    }
    HttpApi api = new HttpApi(vertx, metrics, parser,
        request -> classifier.classify(request, attempts -> { })
            .map(c -> Buffer.buffer(ResultJson.write(c, null, 0, 0))), status::readiness, status::status,
        new TaskAdmin(() -> tasks, adminDirs(), model.multiTask()), config.getString(HTTP_ADMIN_TOKEN),
        config.getLong(FETCH_MAX_BYTES), config.getInt(MAX_IN_FLIGHT));
    return api.listen(config.getString(HTTP_HOST), port).onSuccess(s -> http = s).mapEmpty();
  }

  private FetchOptions fetchOptions() {
    return new FetchOptions(config.getList(FETCH_ALLOWED_ROOTS).stream().map(Path::of).toList(),
        config.getLong(FETCH_MAX_BYTES), config.getInt(FETCH_CONNECT_TIMEOUT_MS),
        config.getInt(FETCH_TIMEOUT_MS), config.getInt(FETCH_MAX_REDIRECTS),
        config.getList(FETCH_ALLOWED_TARGETS), s3Options());
  }

  private S3Options s3Options() {
    String endpoint = config.getString(FETCH_S3_ENDPOINT);
    String region = config.getString(FETCH_S3_REGION);
    return new S3Options(config.getList(FETCH_S3_ALLOWED_BUCKETS),
        endpoint.isEmpty() ? Optional.empty() : Optional.of(URI.create(endpoint)),
        config.getBoolean(FETCH_S3_PATH_STYLE), region.isEmpty() ? Optional.empty() : Optional.of(region),
        config.getString(FETCH_S3_CHECKSUMS).equals("when_required"));
  }

  @Override
  public Future<?> stop() {
    LOG.info("event=stopping inFlight={}", ingest == null ? 0 : ingest.inFlight());
    vertx.cancelTimer(timelineTimer);
    Future<Void> stopped = ingest == null ? Future.succeededFuture()
        : ingest.stop(config.getLong(SHUTDOWN_TIMEOUT_MS));
    return stopped
        .eventually(() -> publisher == null ? Future.succeededFuture() : publisher.close())
        .eventually(() -> http == null ? Future.succeededFuture() : http.close())
        .eventually(() -> {
          if (decodeWorkers != null) {
            decodeWorkers.close();
            inference.close();
          }
          if (brokerWatch != null) {
            brokerWatch.close();
          }
          if (adapterFolder != null) {
            adapterFolder.stop();
          }
          if (tasks != null) {
            tasks.close();
          }
          if (session != null) {
            session.close();
          }
          LOG.info("event=stopped results={} deadLetters={} peakInFlight={}", metrics.results(),
              metrics.deadLetters(), gate == null ? 0 : gate.peak());
          return Future.succeededFuture();
        });
  }

  /** The tasks this service serves (known and resident adapters). */
  public TaskRegistry tasks() {
    return tasks;
  }

  public ServiceMetrics metrics() {
    return metrics;
  }

  /** The HTTP port actually bound (useful with {@code http.port=0}), or -1. */
  public int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** Highest number of events in flight at once since start. */
  public int peakInFlight() {
    return gate == null ? 0 : gate.peak();
  }

  /** The consumer-group ingest stage, for its pause and rebalance counters; null in share mode. */
  public RecordIngest ingest() {
    return ingest instanceof RecordIngest records ? records : null;
  }

  private boolean shareGroup() {
    return config.getString(GROUP_TYPE).equals("share");
  }
}
