package io.loraflow.deploy;

import static io.loraflow.deploy.DeployFiles.at;
import static io.loraflow.deploy.DeployFiles.list;
import static io.loraflow.deploy.DeployFiles.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.loraflow.config.ConfigLoader;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.deploy.DeployFiles.Doc;
import io.loraflow.service.KafkaClients;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests follow {@link KubernetesConventions}, as files and as
 * {@code kubectl kustomize} renders them for the CPU and GPU variants (skipped where kubectl is
 * not installed; no cluster needed). The topics are durable, and every Kafka image is the version
 * of the Kafka clients the service is built with.
 */
class KubernetesManifestsTest {
  private static final Pattern KAFKA_IMAGE = Pattern.compile("apache/kafka:([\\w.-]+)");
  private static final Pattern SHELL_VAR = Pattern.compile("(?m)^\\s*(\\w+)=\"([^\"]*)\"");

  private static Path root;
  private static DeployFiles files;

  @BeforeAll
  static void scan() {
    root = DeployFilesTest.repoRoot();
    files = DeployFiles.scan(root);
  }

  @Test
  void theManifestFilesFollowTheConventions() {
    List<Map<String, Object>> base = files.docs.stream()
        .filter(d -> d.file().startsWith(root.resolve("deploy/k8s/base"))).map(Doc::body).toList();
    assertEquals(List.of(), KubernetesConventions.check(base));
  }

  @ParameterizedTest
  @ValueSource(strings = {"deploy/k8s", "deploy/k8s/gpu"})
  void kubectlKustomizeOutputFollowsTheConventions(String dir) throws Exception {
    List<Map<String, Object>> docs = kustomize(dir);

    assertEquals(List.of("ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "ScaledObject",
        "TriggerAuthentication"), docs.stream().map(d -> String.valueOf(d.get("kind"))).toList());
    assertEquals(List.of(), KubernetesConventions.check(docs), dir);

    Map<String, Object> deployment = docs.stream().filter(d -> "Deployment".equals(d.get("kind"))).findFirst()
        .orElseThrow();
    Map<String, Object> c = DeployFiles.containers(DeployFiles.podSpec(deployment)).stream()
        .filter(DeployFiles::isLoraflowContainer).findFirst().orElseThrow();
    Map<String, Object> image = map(list(at(kustomization(dir), "images")).get(0));
    assertEquals(image.get("newName") + ":" + image.get("newTag"), c.get("image"), "the kustomization's image");
    List<Object> env = list(c.get("env")).stream().map(e -> map(e).get("name")).toList();
    assertTrue(env.contains("LORAFLOW_KAFKA_CONSUMER_GROUP_INSTANCE_ID"), "the base's env survives: " + env);
    if (dir.endsWith("gpu")) {
      assertTrue(env.contains("LORAFLOW_INFERENCE_DEVICE"), "the GPU patch's env is merged in: " + env);
      assertEquals(1, at(c, "resources", "limits", "nvidia.com/gpu"), "one GPU per pod");
    }
  }

  /**
   * The share variant renders as a share group the share consumer accepts (it refuses
   * consumer-group settings such as group.instance.id at start), and KEDA scales it on the group's
   * backlog through Prometheus, past the partition count: its kafka trigger would read a
   * consumer-group lag that a share group does not have.
   */
  @Test
  void shareVariantIsAShareGroupScaledOnItsBacklog(@TempDir Path tmp) throws Exception {
    List<Map<String, Object>> docs = kustomize("deploy/k8s/share");
    assertEquals(List.of("ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "ScaledObject"),
        docs.stream().map(d -> String.valueOf(d.get("kind"))).toList(), "no TriggerAuthentication for Kafka");
    assertEquals(List.of(), KubernetesConventions.check(docs));

    Map<String, Object> deployment = one(docs, "Deployment");
    Map<String, Object> c = DeployFiles.containers(DeployFiles.podSpec(deployment)).stream()
        .filter(DeployFiles::isLoraflowContainer).findFirst().orElseThrow();
    Map<String, String> env = new LinkedHashMap<>();
    list(c.get("env")).forEach(e -> env.put(String.valueOf(map(e).get("name")),
        map(e).get("value") == null ? "loraflow-0" : String.valueOf(map(e).get("value")))); // valueFrom: a pod name
    assertFalse(env.containsKey("LORAFLOW_KAFKA_CONSUMER_GROUP_INSTANCE_ID"), "no static membership: " + env);
    Path properties = tmp.resolve("loraflow.properties");
    Files.writeString(properties, String.valueOf(at(one(docs, "ConfigMap"), "data", "loraflow.properties")));
    LoraflowConfig config = ConfigLoader.load(properties.toString(), Map.of(), env);
    assertEquals("share", config.getString(LoraflowConfig.GROUP_TYPE));
    Map<String, Object> props = new HashMap<>(KafkaClients.shareConsumer(config));
    props.put("bootstrap.servers", "127.0.0.1:9"); // made, never polled: only its config is checked
    new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()).close();

    Map<String, Object> so = one(docs, "ScaledObject");
    List<Object> triggers = list(at(so, "spec", "triggers"));
    assertEquals(1, triggers.size(), "one trigger: " + triggers);
    assertEquals("prometheus", map(triggers.get(0)).get("type"), "the kafka trigger reads consumer-group lag");
    Map<String, Object> md = map(map(triggers.get(0)).get("metadata"));
    md.forEach((k, v) -> assertTrue(v instanceof String, "KEDA trigger metadata values are strings; quote " + k));
    assertTrue(String.valueOf(md.get("query")).matches("max\\(loraflow_consumer_lag\\b.*\\)"),
        "the group's backlog, the same on every pod, so max: " + md.get("query"));
    assertTrue(Integer.parseInt(String.valueOf(md.get("threshold"))) > 0, "threshold > 0");
    int partitions = DeployFilesTest.createdTopics(files.texts.get(root.resolve("deploy/k8s/topics-job.yaml")))
        .get(config.getString(LoraflowConfig.INPUT_TOPIC));
    assertTrue(((Number) at(so, "spec", "maxReplicaCount")).intValue() > partitions,
        "share members are not capped by the " + partitions + " partitions");
  }

  private static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind));
  }

  /** {@code kubectl kustomize dir}, parsed; skips the test where kubectl is not installed. */
  private static List<Map<String, Object>> kustomize(String dir) throws Exception {
    Path kubectl = onPath("kubectl");
    assumeTrue(kubectl != null, "kubectl is not installed");
    Process p = new ProcessBuilder(kubectl.toString(), "kustomize", root.resolve(dir).toString())
        .redirectErrorStream(true).start();
    String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir + " did not finish");
    assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ":\n" + yaml);
    List<Map<String, Object>> docs = new ArrayList<>();
    DeployFiles.yaml().loadAll(yaml).forEach(o -> docs.add(map(o)));
    return docs;
  }

  /** Replication 3 and min.insync.replicas=2 on every topic: acks=all survives one broker down. */
  @Test
  void topicsAreReplicatedThreeAndAcknowledgedByTwo() {
    String script = files.texts.get(root.resolve("deploy/k8s/topics-job.yaml"));
    Map<String, String> vars = new LinkedHashMap<>();
    Matcher m = SHELL_VAR.matcher(script);
    while (m.find()) {
      vars.put(m.group(1), m.group(2));
    }
    List<String> creates = script.lines().filter(l -> l.contains("--create")).toList();
    assertEquals(3, creates.size(), "input, output and dead-letter topics");
    for (String line : creates) {
      String expanded = line;
      for (Map.Entry<String, String> v : vars.entrySet()) {
        expanded = expanded.replace("$" + v.getKey(), v.getValue());
      }
      assertTrue(expanded.contains("--replication-factor 3"), "replication 3: " + line);
      assertTrue(expanded.contains("--config min.insync.replicas=2"), "min.insync.replicas=2: " + line);
    }
  }

  /** Compose, the topics job and the guide run the broker version of the pom's Kafka clients. */
  @Test
  void kafkaImagesAreTheVersionOfTheKafkaClients() throws Exception {
    Matcher pom = Pattern.compile("<kafka.version>([^<]+)</kafka.version>")
        .matcher(Files.readString(root.resolve("pom.xml")));
    assertTrue(pom.find(), "pom.xml: no kafka.version property");
    String clients = pom.group(1);
    List<String> found = new ArrayList<>();
    files.texts.forEach((file, text) -> {
      Matcher m = KAFKA_IMAGE.matcher(text);
      while (m.find()) {
        found.add(files.rel(file) + ": " + m.group(1));
        assertEquals(clients, m.group(1), files.rel(file) + " runs apache/kafka:" + m.group(1)
            + " against kafka-clients " + clients);
      }
    });
    assertFalse(found.isEmpty(), "no apache/kafka image under deploy/");
    assertTrue(found.stream().anyMatch(f -> f.startsWith("deploy/compose/")), "compose: " + found);
    assertTrue(found.stream().anyMatch(f -> f.startsWith("deploy/k8s/topics-job")), "topics job: " + found);
  }

  private static Map<String, Object> kustomization(String dir) {
    return files.docs.stream().filter(d -> d.file().equals(root.resolve(dir).resolve("kustomization.yaml")))
        .map(Doc::body).findFirst().orElseThrow();
  }

  private static Path onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, command);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
