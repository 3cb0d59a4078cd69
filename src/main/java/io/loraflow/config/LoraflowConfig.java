package io.loraflow.config;

import static io.loraflow.config.ConfigKey.Validator.any;
import static io.loraflow.config.ConfigKey.Validator.atLeast;
import static io.loraflow.config.ConfigKey.Validator.between;
import static io.loraflow.config.ConfigKey.Validator.in;
import static io.loraflow.config.ConfigKey.Validator.namedValues;
import static io.loraflow.config.ConfigKey.Validator.nonEmpty;

import io.loraflow.config.ConfigKey.Type;
import io.loraflow.config.ConfigKey.Validator;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The service's one typed config. Each setting is declared once below (key, type, default,
 * validator, doc); {@link ConfigLoader} fills it from a file, environment variables and flags, in
 * that order of precedence. Kafka client properties pass through verbatim under {@code kafka.}
 * (every client) and {@code kafka.consumer.}, {@code kafka.producer.}, {@code kafka.admin.} (one
 * client, winning over {@code kafka.}); see {@link KafkaProperties}.
 */
public final class LoraflowConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String INPUT_TOPIC = "input.topic";
  public static final String OUTPUT_TOPIC = "output.topic";
  public static final String DLQ_TOPIC = "dlq.topic";
  public static final String GROUP_ID = "group.id";
  public static final String GROUP_TYPE = "group.type";
  public static final String SHARE_MAX_DELIVERIES = "share.max.deliveries";
  public static final String SHARE_AUTO_OFFSET_RESET = "share.auto.offset.reset";
  public static final String MODEL = "model";
  public static final String MAX_BATCH_SIZE = "max.batch.size";
  public static final String MAX_QUEUE_DELAY_MS = "max.queue.delay.ms";
  public static final String MAX_IN_FLIGHT = "max.in.flight";
  public static final String INFERENCE_DEVICE = "inference.device";
  public static final String INFERENCE_THREADS = "inference.threads";
  public static final String INFERENCE_CUDA_OPTIONS = "inference.cuda.options";
  public static final String DECODE_THREADS = "decode.threads";
  public static final String FETCH_ALLOWED_ROOTS = "fetch.allowed.roots";
  public static final String FETCH_ALLOWED_TARGETS = "fetch.allowed.targets";
  public static final String FETCH_MAX_BYTES = "fetch.max.bytes";
  public static final String FETCH_S3_ALLOWED_BUCKETS = "fetch.s3.allowed.buckets";
  public static final String FETCH_S3_ENDPOINT = "fetch.s3.endpoint";
  public static final String FETCH_S3_PATH_STYLE = "fetch.s3.path.style";
  public static final String FETCH_S3_REGION = "fetch.s3.region";
  public static final String FETCH_S3_CHECKSUMS = "fetch.s3.checksums";
  public static final String FETCH_CONNECT_TIMEOUT_MS = "fetch.connect.timeout.ms";
  public static final String FETCH_TIMEOUT_MS = "fetch.timeout.ms";
  public static final String FETCH_MAX_REDIRECTS = "fetch.max.redirects";
  public static final String FETCH_RETRIES = "fetch.retries";
  public static final String FETCH_RETRY_BACKOFF_MS = "fetch.retry.backoff.ms";
  public static final String IMAGE_MAX_PIXELS = "image.max.pixels";
  public static final String IMAGE_MAX_BUFFERED_BYTES = "image.max.buffered.bytes";
  public static final String RESULT_TOP_K = "result.top.k";
  public static final String CACHE_ENABLED = "cache.enabled";
  public static final String CACHE_MAX_ENTRIES = "cache.max.entries";
  public static final String CACHE_TTL_MS = "cache.ttl.ms";
  public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
  public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";
  public static final String ORDERING = "ordering";
  public static final String PROCESSING_GUARANTEE = "processing.guarantee";
  public static final String TRANSACTIONAL_ID = "transactional.id";
  public static final String EVENT_MAX_AGE_MS = "event.max.age.ms";
  public static final String ADAPTERS_DIR = "adapters.dir";
  public static final String ADAPTERS_MAX_RESIDENT = "adapters.max.resident";
  public static final String ADAPTERS_PINNED = "adapters.pinned";
  public static final String ADAPTERS_SCAN_INTERVAL_MS = "adapters.scan.interval.ms";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_ADMIN_TOKEN = "http.admin.token";
  public static final String TRACING = "tracing";

  private static final Map<String, ConfigKey> KEYS = new LinkedHashMap<>();

  static {
    define(BOOTSTRAP_SERVERS, Type.STRING, "localhost:9092", nonEmpty(),
        "Kafka bootstrap servers (host:port, comma-separated).");
    define(INPUT_TOPIC, Type.STRING, "images", nonEmpty(),
        "Topic of image requests to classify.");
    define(OUTPUT_TOPIC, Type.STRING, "classifications", nonEmpty(),
        "Topic the classification results are published to, keyed like the input.");
    define(DLQ_TOPIC, Type.STRING, "classifications.dlq", nonEmpty(),
        "Dead-letter topic: the original record plus error headers, for every event that fails.");
    define(GROUP_ID, Type.STRING, "loraflow", nonEmpty(),
        "Consumer group; instances with the same group share the input partitions.");
    define(GROUP_TYPE, Type.STRING, "consumer", in("consumer", "share"),
        "consumer: a consumer group, each partition read by one instance (ordering and exactly_once "
            + "possible; useful instances <= partitions); share: a share group (Kafka queues, KIP-932), "
            + "records acquired one by one by any instance, so instances can exceed partitions; needs "
            + "ordering=none and at_least_once. See Scaling out.");
    define(SHARE_MAX_DELIVERIES, Type.INT, 3, between(1, 9),
        "share only: a record delivered more often than this (its earlier tries ended without an "
            + "outcome, e.g. the instance crashed on it) becomes a DELIVERY_LIMIT dead letter without "
            + "another try; keep it below the broker's group.share.delivery.count.limit (default 5), "
            + "or the broker archives the record unseen.");
    define(SHARE_AUTO_OFFSET_RESET, Type.STRING, "earliest", in("earliest", "latest"),
        "share only: set on the share group at start (a group config, Kafka's default latest): "
            + "where a new group starts reading, as auto.offset.reset does for a consumer group.");
    define(MODEL, Type.STRING, "models/fashion-mnist", nonEmpty(),
        "Model package directory (manifest.json, model.onnx, labels.txt).");
    define(MAX_BATCH_SIZE, Type.INT, 32, between(1, 4096),
        "Largest batch sent to one inference run.");
    define(MAX_QUEUE_DELAY_MS, Type.LONG, 5L, between(0, 60_000),
        "How long the oldest event of a batch may wait for the batch to fill before it runs anyway.");
    define(MAX_IN_FLIGHT, Type.INT, 256, between(1, 1_000_000),
        "Most events between ingest and their offset commit per instance (a crash repeats at most "
            + "this many); partitions pause at this mark and resume at three quarters of it.");
    define(INFERENCE_DEVICE, Type.STRING, "auto", in("auto", "cpu", "cuda"),
        "auto: CUDA when a CUDA session can be created and warmed up, else CPU.");
    define(INFERENCE_THREADS, Type.INT, 0, between(0, 1024),
        "ONNX Runtime intra-op threads; 0 = one per available core (right for compute-bound models; "
            + "with a small model on few cores, 1 leaves CPU to decoding: docs/benchmarks.md).");
    define(INFERENCE_CUDA_OPTIONS, Type.LIST, List.of(), namedValues(),
        "ONNX Runtime CUDA provider options, name=value, comma-separated (e.g. "
            + "cudnn_conv_algo_search=HEURISTIC,gpu_mem_limit=4294967296,use_tf32=0), passed as given; "
            + "ONNX Runtime refuses an unknown one when the CUDA session is created. Empty = its defaults.");
    define(DECODE_THREADS, Type.INT, 2, between(1, 1024),
        "Worker threads that decode and preprocess images.");
    define(FETCH_ALLOWED_ROOTS, Type.LIST, List.of(), any(),
        "Folders that file: and plain-path references may read from; empty = no file access. A path "
            + "whose symlinks lead out of every root is refused; on Linux 5.6+ the file is opened with "
            + "openat2(RESOLVE_BENEATH), so the kernel checks the very file that is read.");
    define(FETCH_ALLOWED_TARGETS, Type.LIST, List.of(), any(),
        "Hosts, IPs or CIDRs exempt from the SSRF guard (e.g. 127.0.0.1/32); empty = public "
            + "addresses only.");
    define(FETCH_MAX_BYTES, Type.LONG, 20L * 1024 * 1024, atLeast(1),
        "Largest image body fetched or accepted, in bytes.");
    define(FETCH_S3_ALLOWED_BUCKETS, Type.LIST, List.of(), any(),
        "Buckets that s3://bucket/key references and bucket notifications may read; empty = no S3 "
            + "access. Credentials and region come from the AWS SDK's default chains (env, "
            + "profile, EKS web identity, instance profile).");
    define(FETCH_S3_ENDPOINT, Type.STRING, "", LoraflowConfig::checkEndpoint,
        "An S3-compatible store's URL (MinIO, Ceph RGW, R2: http://minio:9000); empty = AWS S3.");
    define(FETCH_S3_PATH_STYLE, Type.BOOLEAN, false, any(),
        "true: address objects as endpoint/bucket/key (MinIO and most self-hosted stores); "
            + "false: bucket.endpoint/key (AWS).");
    define(FETCH_S3_REGION, Type.STRING, "", any(),
        "S3 signing region; empty = the SDK's region chain (AWS_REGION, profile, instance).");
    define(FETCH_S3_CHECKSUMS, Type.STRING, "when_required", in("when_required", "when_supported"),
        "when_required: compute and validate S3 checksums only where an operation requires them, "
            + "as S3-compatible stores need; when_supported: the SDK's default, AWS S3 only.");
    define(FETCH_CONNECT_TIMEOUT_MS, Type.INT, 5_000, between(1, 600_000),
        "HTTP connect timeout.");
    define(FETCH_TIMEOUT_MS, Type.INT, 15_000, between(1, 600_000),
        "HTTP read timeout: longest silence while fetching a body.");
    define(FETCH_MAX_REDIRECTS, Type.INT, 5, between(0, 50),
        "Redirects followed per fetch; each hop is checked by the SSRF guard.");
    define(FETCH_RETRIES, Type.INT, 2, between(0, 100),
        "Retries of a fetch that failed transiently (HTTP 5xx/429, timeout, reset); then the "
            + "event is dead-lettered with the attempts it took.");
    define(FETCH_RETRY_BACKOFF_MS, Type.LONG, 200L, between(0, 600_000),
        "Wait before the first fetch retry; doubles on each further retry.");
    define(IMAGE_MAX_PIXELS, Type.LONG, 50_000_000L, atLeast(1),
        "Largest width x height decoded; checked from the header before decoding.");
    define(IMAGE_MAX_BUFFERED_BYTES, Type.LONG, 0L, atLeast(0),
        "Most bytes of decoded images waiting for inference; decoding waits beyond it (a slow model "
            + "with large photos would otherwise fill the heap: max.in.flight counts events, not bytes). "
            + "0 = a quarter of the JVM's maximum heap.");
    define(RESULT_TOP_K, Type.INT, 5, between(1, 1000),
        "Labels per result when the request sets no topK.");
    define(CACHE_ENABLED, Type.BOOLEAN, false, any(),
        "Result cache: an image whose bytes were classified before, by the same model version, task "
            + "(adapter) and top-k, is answered from the cache without decode or inference "
            + "(cached: true in the result). Off by default.");
    define(CACHE_MAX_ENTRIES, Type.INT, 100_000, between(1, 100_000_000),
        "Results kept by the result cache; beyond it the least recently used is dropped "
            + "(roughly 0.5 KB each with top-5).");
    define(CACHE_TTL_MS, Type.LONG, 600_000L, between(1, Long.MAX_VALUE),
        "How long a cached result may be served after it was computed.");
    define(COMMIT_INTERVAL_MS, Type.LONG, 1_000L, between(10, 600_000),
        "How often completed offsets are committed.");
    define(PROCESSING_GUARANTEE, Type.STRING, "at_least_once", in("at_least_once", "exactly_once"),
        "at_least_once: offsets are committed after outcomes are acknowledged (duplicates possible "
            + "after a crash); exactly_once: outcomes and offsets are committed in one Kafka "
            + "transaction per commit.interval.ms, for read_committed consumers.");
    define(TRANSACTIONAL_ID, Type.STRING, "", any(),
        "exactly_once only: this instance's transactional.id, stable across restarts (e.g. the pod "
            + "name) so a restart fences its previous incarnation; empty = group.id plus a random "
            + "suffix.");
    define(ORDERING, Type.STRING, "partition", in("partition", "none"),
        "partition: outcomes of one input partition are published in input order (a slow event "
            + "holds back later ones); none: published as they finish.");
    define(EVENT_MAX_AGE_MS, Type.LONG, 0L, between(0, Long.MAX_VALUE),
        "Events older than this (from the record timestamp) become EXPIRED dead letters without "
            + "inference; 0 = no limit. A request's own deadline field also applies.");
    define(ADAPTERS_DIR, Type.STRING, "", any(),
        "Multi-task packages only: a folder watched for task adapters (NAME.onnx_adapter with "
            + "NAME.labels.txt); files appearing are served as task NAME, files removed stop it.");
    define(ADAPTERS_MAX_RESIDENT, Type.INT, 16, between(1, 100_000),
        "Task adapters kept loaded at once; the least recently used idle one is evicted and "
            + "loaded again when needed.");
    define(ADAPTERS_PINNED, Type.LIST, List.of(), any(),
        "Tasks whose adapters are never evicted.");
    define(ADAPTERS_SCAN_INTERVAL_MS, Type.LONG, 2_000L, between(100, 3_600_000),
        "How often adapters.dir is scanned.");
    define(HTTP_PORT, Type.INT, 8080, between(-1, 65535),
        "Port of /health/live, /health/ready, /metrics, POST /v1/classify and the dashboard; "
            + "0 picks a free port, -1 disables HTTP.");
    define(HTTP_HOST, Type.STRING, "0.0.0.0", nonEmpty(),
        "Address the HTTP server binds to.");
    define(HTTP_ADMIN_TOKEN, Type.STRING, "", LoraflowConfig::checkAdminToken,
        "Bearer token that /admin/* requests must carry (Authorization: Bearer TOKEN), at least "
            + "16 characters; empty = the admin endpoints are off (404). Set it from a secret, e.g. "
            + "LORAFLOW_HTTP_ADMIN_TOKEN.");
    define(TRACING, Type.STRING, "none", in("none", "opentelemetry"),
        "opentelemetry: a span per event (continuing the input's traceparent; the result carries the new "
            + "context) and Vert.x's HTTP spans, exported as the standard OTEL_* variables say (OTLP over "
            + "http/protobuf to localhost:4318 unless OTEL_EXPORTER_OTLP_ENDPOINT is set).");
    define(SHUTDOWN_TIMEOUT_MS, Type.LONG, 30_000L, between(0, 3_600_000),
        "On SIGTERM, how long to finish, publish and commit in-flight events before closing.");
  }

  private static void define(String name, Type type, Object dflt, Validator v, String doc) {
    KEYS.put(name, new ConfigKey(name, type, dflt, v, doc));
  }

  /**
   * Refuses combinations that cannot hold, naming both settings: a share group has no
   * transactions and no order across its members.
   */
  static void checkCombinations(Map<String, Object> values) {
    if (!"share".equals(values.get(GROUP_TYPE))) {
      return;
    }
    if ("exactly_once".equals(values.get(PROCESSING_GUARANTEE))) {
      throw new ConfigException("group.type=share cannot give processing.guarantee=exactly_once (a share "
          + "group has no transactions): use at_least_once, or group.type=consumer");
    }
    if ("partition".equals(values.get(ORDERING))) {
      throw new ConfigException("group.type=share cannot keep ordering=partition (a partition's records go to "
          + "several instances): set ordering=none, or use group.type=consumer");
    }
  }

  /** All settings, in declaration order. */
  public static Map<String, ConfigKey> keys() {
    return Collections.unmodifiableMap(KEYS);
  }

  private final Map<String, Object> values;
  /** Kafka properties as given, prefixes included ({@code kafka.consumer.client.id}). */
  private final Map<String, String> kafka;

  LoraflowConfig(Map<String, Object> values, Map<String, String> kafka) {
    this.values = Map.copyOf(values);
    this.kafka = Collections.unmodifiableMap(new TreeMap<>(kafka));
  }

  /** The defaults, with {@code overrides} (key → text) applied and validated. */
  public static LoraflowConfig of(Map<String, String> overrides) {
    return ConfigLoader.fromLayers(List.of(overrides));
  }

  public String getString(String key) {
    return (String) get(key);
  }

  public int getInt(String key) {
    return (Integer) get(key);
  }

  public long getLong(String key) {
    return (Long) get(key);
  }

  @SuppressWarnings("unchecked")
  public List<String> getList(String key) {
    return (List<String>) get(key);
  }

  /** A list of {@code name=value} entries as a map, in order. */
  public Map<String, String> getNamedValues(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String entry : getList(key)) {
      int eq = entry.indexOf('=');
      out.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return out;
  }

  public boolean getBoolean(String key) {
    return (Boolean) get(key);
  }

  public Path modelDir() {
    return Path.of(getString(MODEL));
  }

  private Object get(String key) {
    if (!values.containsKey(key)) {
      throw new IllegalArgumentException("Unknown setting " + key);
    }
    return values.get(key);
  }

  /** One client's Kafka properties: the common {@code kafka.*} ones it defines, its own on top. */
  public Map<String, String> kafka(KafkaProperties.Client client) {
    return KafkaProperties.forClient(kafka, client);
  }

  /** The effective config as key → text, secrets masked; what {@code --print-config} prints. */
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    KEYS.keySet().forEach(k -> {
      String v = ConfigKey.render(values.get(k));
      out.put(k, isSecret(k) && !v.isEmpty() ? "[hidden]" : v);
    });
    kafka.forEach((k, v) -> out.put(k, isSecret(k) ? "[hidden]" : v));
    return out;
  }

  /** The settings reference as plain text ({@code loraflow config}). */
  public static String textReference() {
    StringBuilder out = new StringBuilder("Settings (file < LORAFLOW_* env < --flags):\n\n");
    for (ConfigKey k : KEYS.values()) {
      out.append(String.format("  %-26s %-8s default %-24s %s%n", k.name(), k.type().name().toLowerCase(),
          k.defaultText(), k.doc()));
    }
    return out.append("""

          kafka.*                    Kafka client properties, verbatim, for every client that defines
                                     them (kafka.security.protocol=SASL_SSL).
          kafka.consumer.*, kafka.producer.*, kafka.admin.*
                                     for that client only; they win over kafka.*.
        Unknown Kafka properties are refused, naming the closest known one.
        """).toString();
  }

  /** The settings reference as the README's markdown table; a test keeps the README equal to it. */
  public static String markdownTable() {
    StringBuilder out = new StringBuilder("| Setting | Type | Default | Description |\n|---|---|---|---|\n");
    for (ConfigKey k : KEYS.values()) {
      String dflt = k.defaultText();
      out.append("| `").append(k.name()).append("` | ").append(k.type().name().toLowerCase()).append(" | ")
          .append(dflt.isEmpty() ? "" : "`" + dflt + "`").append(" | ").append(k.doc()).append(" |\n");
    }
    return out.toString();
  }

  /** Empty (AWS itself) or an absolute http(s) URL. */
  private static void checkEndpoint(String key, Object value) {
    String text = value.toString();
    if (text.isEmpty()) {
      return;
    }
    try {
      URI uri = new URI(text);
      if (uri.getHost() != null && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        return;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new ConfigException(key, text, "must be empty or an http(s) URL such as http://minio:9000");
  }

  /** Empty (admin off) or a guess-resistant token; the message never shows the value. */
  private static void checkAdminToken(String key, Object value) {
    String token = value.toString();
    if (!token.isEmpty() && (token.length() < 16 || !token.strip().equals(token))) {
      throw new ConfigException(key, "(hidden)",
          "must be empty (admin endpoints off) or at least 16 characters, no surrounding spaces");
    }
  }

  static boolean isSecret(String key) {
    String k = key.toLowerCase();
    return k.contains("password") || k.contains("secret") || k.contains("jaas")
        || k.contains("token") || k.endsWith(".key") || k.contains("credentials") || k.contains("passphrase");
  }
}
