package io.loraflow.deploy;

import static io.loraflow.deploy.DeployFiles.at;
import static io.loraflow.deploy.DeployFiles.list;
import static io.loraflow.deploy.DeployFiles.map;
import static io.loraflow.deploy.DeployFiles.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.loraflow.config.ConfigKey;
import io.loraflow.config.LoraflowConfig;
import io.loraflow.deploy.DeployFiles.Doc;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files (deploy/) set only real settings, and their pieces agree with each other:
 * probes on the HTTP port the config sets, KEDA on the config's group and topic, a GPU variant
 * that asks for a GPU, Dockerfiles that build the jar, ship its SBOM and licences and run
 * {@code serve}. No Docker, no Kubernetes, no Kafka: the files are parsed.
 */
class DeployFilesTest {
  private static final String HTTP_PORT = "http.port";
  private static final Pattern CREATE_TOPIC =
      Pattern.compile("--topic\\s+(\\S+)\\s+--partitions\\s+(\\d+)");

  private static Path root;
  private static DeployFiles files;

  @BeforeAll
  static void scan() {
    root = repoRoot();
    files = DeployFiles.scan(root);
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("deploy")))) {
      p = p.getParent();
    }
    assertNotNull(p, "no deploy/ next to a pom.xml above " + Path.of("").toAbsolutePath());
    return p;
  }

  @Test
  void everySettingIsARealConfigKeyWithAValidValue() {
    assertFalse(files.settings.isEmpty(), "no loraflow settings found under deploy/");
    assertNoProblems(files.problems());
  }

  @Test
  void aBadKeyOrValueIsReportedWithFileAndKey(@TempDir Path tmp) throws IOException {
    write(tmp.resolve("pom.xml"), "<project/>");
    write(tmp.resolve("deploy/docker/Dockerfile"),
        "FROM x\nENV LORAFLOW_MAX_BATCH_SIZ=3 \\\n    LORAFLOW_GROUP_ID=g\n"
            + "ENTRYPOINT [\"java\", \"-jar\", \"l.jar\", \"serve\", \"--max-batch-size\", \"0\"]\n");
    write(tmp.resolve("deploy/k8s/cm.yaml"), """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: c}
        data:
          loraflow.properties: |
            bogus.key=1
            kafka.consumer.group.instance.id=x
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          template:
            spec:
              containers:
                - name: loraflow
                  image: loraflow:1
                  args: ["--config", "/etc/loraflow/loraflow.properties", "--inference-devise=cuda"]
                  env:
                    - {name: LORAFLOW_KAFKA_CONSUMER_GROUP_INSTANCE_ID, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                    - {name: LORAFLOW_INFERENCE_DEVICE, value: gpu}
        """);
    write(tmp.resolve("deploy/compose/compose.yml"),
        "services:\n  loraflow:\n    build: .\n    environment:\n      LORAFLOW_INPUT_TOPICS: images\n");
    write(tmp.resolve("deploy/local/loraflow.json"), "{\"fetch\": {\"retriez\": 1}, \"group\": {\"id\": \"g\"}}");
    write(tmp.resolve("deploy/local/run.sh"), "export LORAFLOW_KAFKA_BOOTSTRAP=x\n");

    List<String> problems = DeployFiles.scan(tmp).problems();
    String all = String.join("\n", problems);
    for (String expected : List.of(
        "deploy/docker/Dockerfile: unknown loraflow setting 'max.batch.siz'",
        "deploy/docker/Dockerfile: ENTRYPOINT flag --max-batch-size: Invalid value '0'",
        "deploy/k8s/cm.yaml: unknown loraflow setting 'bogus.key'",
        "deploy/k8s/cm.yaml: unknown loraflow setting 'inference.devise'",
        "deploy/k8s/cm.yaml: Deployment d container loraflow env LORAFLOW_INFERENCE_DEVICE: Invalid value 'gpu'",
        "deploy/compose/compose.yml: unknown loraflow setting 'input.topics'",
        "deploy/local/loraflow.json: unknown loraflow setting 'fetch.retriez'",
        "deploy/local/run.sh: unknown loraflow setting 'kafka.bootstrap'")) {
      assertTrue(all.contains(expected), "expected a problem starting '" + expected + "' in:\n" + all);
    }
    assertEquals(8, problems.size(), all);
  }

  // ------------------------------------------------------------------------------ Kubernetes

  @Test
  void kubernetesProbesPortsServiceAndDisruptionBudget() {
    List<Doc> base = k8sBase();
    Map<String, Object> deploy = one(base, "Deployment");
    Map<String, Object> pod = DeployFiles.podSpec(deploy);
    Map<String, Object> c = loraflowContainer(deploy);
    Map<String, String> config = effectiveConfig(base, deploy, List.of());
    int port = Integer.parseInt(config.getOrDefault(HTTP_PORT, defaultHttpPort()));
    assertTrue(port > 0, "probes need a fixed HTTP port; the config sets " + HTTP_PORT + "=" + port);

    assertProbe(c, "livenessProbe", "/health/live", port);
    assertProbe(c, "readinessProbe", "/health/ready", port);
    if (c.get("startupProbe") != null) {
      String path = str(at(c, "startupProbe", "httpGet", "path"));
      assertEquals("/health/started", path, "startupProbe path: the model must be loaded");
      assertEquals(port, resolvePort(c, at(c, "startupProbe", "httpGet", "port")), "startupProbe port");
    }
    Map<String, Object> resources = map(c.get("resources"));
    assertNotNull(at(resources, "requests", "cpu"), "cpu request");
    assertNotNull(at(resources, "requests", "memory"), "memory request");
    assertNotNull(at(resources, "limits", "memory"), "memory limit");

    Map<String, Object> labels = map(at(deploy, "spec", "template", "metadata", "labels"));
    assertSubset(map(at(deploy, "spec", "selector", "matchLabels")), labels, "Deployment selector");

    Map<String, Object> svc = one(base, "Service");
    assertSubset(map(at(svc, "spec", "selector")), labels, "Service selector");
    boolean servesHttp = list(at(svc, "spec", "ports")).stream()
        .anyMatch(p -> resolvePort(c, map(p).getOrDefault("targetPort", map(p).get("port"))) == port);
    assertTrue(servesHttp, "Service has no port targeting the container's HTTP port " + port);

    Map<String, Object> pdb = one(base, "PodDisruptionBudget");
    assertSubset(map(at(pdb, "spec", "selector", "matchLabels")), labels, "PDB selector");

    // SIGTERM: the service takes up to shutdown.timeout.ms, then 10 s to close its clients.
    long shutdownMs = Long.parseLong(config.getOrDefault(LoraflowConfig.SHUTDOWN_TIMEOUT_MS,
        String.valueOf(LoraflowConfig.keys().get(LoraflowConfig.SHUTDOWN_TIMEOUT_MS).defaultValue())));
    Object grace = pod.getOrDefault("terminationGracePeriodSeconds", 30);
    assertTrue(((Number) grace).longValue() * 1000 >= shutdownMs + 10_000,
        "terminationGracePeriodSeconds " + grace + " < shutdown.timeout.ms " + shutdownMs + " + 10 s");
  }

  @Test
  void kubernetesConsumerUsesCooperativeStickyAndStaticMembershipFromThePodName() {
    List<Doc> base = k8sBase();
    Map<String, Object> deploy = one(base, "Deployment");
    Map<String, Object> c = loraflowContainer(deploy);
    Map<String, Object> instanceId = list(c.get("env")).stream().map(DeployFiles::map)
        .filter(e -> "LORAFLOW_KAFKA_CONSUMER_GROUP_INSTANCE_ID".equals(e.get("name")))
        .findFirst().orElseThrow(() -> new AssertionError(
            "loraflow container: no LORAFLOW_KAFKA_CONSUMER_GROUP_INSTANCE_ID env (static membership)"));
    assertEquals("metadata.name", at(instanceId, "valueFrom", "fieldRef", "fieldPath"),
        "group.instance.id must come from the pod name (downward API)");
    String strategy = effectiveConfig(base, deploy, List.of())
        .get("kafka.consumer.partition.assignment.strategy");
    if (strategy != null) {
      assertEquals("org.apache.kafka.clients.consumer.CooperativeStickyAssignor", strategy.strip());
    }
  }

  @Test
  void kedaScalesOnTheConfiguredGroupAndTopicWithLimitToPartitionsWithLag() {
    List<Doc> base = k8sBase();
    Map<String, Object> deploy = one(base, "Deployment");
    Map<String, String> config = effectiveConfig(base, deploy, List.of());
    Map<String, Object> so = one(base, "ScaledObject");
    assertEquals(at(deploy, "metadata", "name"), at(so, "spec", "scaleTargetRef", "name"), "scaleTargetRef");
    List<Object> kafka = list(at(so, "spec", "triggers")).stream()
        .filter(t -> "kafka".equals(map(t).get("type"))).toList();
    assertEquals(1, kafka.size(), "one kafka trigger");
    Map<String, Object> md = map(map(kafka.get(0)).get("metadata"));
    md.forEach((k, v) -> assertTrue(v instanceof String,
        "KEDA trigger metadata values are strings; quote " + k + ": " + v));
    assertEquals("true", md.get("limitToPartitionsWithLag"), "limitToPartitionsWithLag");
    assertEquals(setting(config, LoraflowConfig.GROUP_ID), md.get("consumerGroup"), "consumerGroup vs group.id");
    String topic = setting(config, LoraflowConfig.INPUT_TOPIC);
    assertEquals(topic, md.get("topic"), "topic vs input.topic");
    assertEquals(setting(config, LoraflowConfig.BOOTSTRAP_SERVERS), md.get("bootstrapServers"),
        "bootstrapServers vs bootstrap.servers");
    assertTrue(Integer.parseInt(String.valueOf(md.get("lagThreshold"))) > 0, "lagThreshold > 0");
    assertFalse("true".equals(md.get("allowIdleConsumers")), "allowIdleConsumers must not be true");

    int max = ((Number) at(so, "spec", "maxReplicaCount")).intValue();
    int min = ((Number) map(so.get("spec")).getOrDefault("minReplicaCount", 0)).intValue();
    assertTrue(min >= 0 && min <= max, "minReplicaCount " + min + " > maxReplicaCount " + max);
    Map<String, Integer> k8sTopics = createdTopics(text("deploy/k8s/topics-job.yaml"));
    Map<String, Integer> composeTopics = createdTopics(text("deploy/compose/docker-compose.yml"));
    for (Map<String, Integer> topics : List.of(k8sTopics, composeTopics)) {
      assertNotNull(topics.get(topic), "input topic " + topic + " is not created: " + topics);
      assertTrue(max <= topics.get(topic),
          "maxReplicaCount " + max + " > partitions of " + topic + " (" + topics.get(topic) + ")");
    }
    for (String t : List.of(topic, setting(config, LoraflowConfig.OUTPUT_TOPIC),
        setting(config, LoraflowConfig.DLQ_TOPIC))) {
      assertTrue(k8sTopics.containsKey(t), "topics-job.yaml does not create " + t);
    }
  }

  @Test
  void gpuVariantRequestsAGpuAndTheCudaDevice() {
    List<Doc> base = k8sBase();
    Map<String, Object> deploy = one(base, "Deployment");
    List<Doc> gpu = files.docs.stream()
        .filter(d -> d.file().startsWith(root.resolve("deploy/k8s/gpu"))).toList();
    Map<String, Object> patch = gpu.stream().map(Doc::body)
        .filter(b -> "Deployment".equals(b.get("kind"))
            && at(deploy, "metadata", "name").equals(at(b, "metadata", "name")))
        .findFirst().orElseThrow(() -> new AssertionError("deploy/k8s/gpu: no Deployment patch"));
    Map<String, Object> c = loraflowContainer(patch);
    Object gpus = at(c, "resources", "limits", "nvidia.com/gpu");
    assertNotNull(gpus, "GPU deployment: no nvidia.com/gpu limit");
    assertTrue(Integer.parseInt(String.valueOf(gpus)) >= 1, "nvidia.com/gpu " + gpus);
    Object requested = at(c, "resources", "requests", "nvidia.com/gpu");
    if (requested != null) {
      assertEquals(String.valueOf(gpus), String.valueOf(requested), "GPU requests must equal limits");
    }
    Map<String, String> config = effectiveConfig(base, deploy, list(c.get("env")));
    String device = setting(config, LoraflowConfig.INFERENCE_DEVICE);
    assertTrue(device.equals("cuda") || device.equals("auto"), "GPU deployment runs inference.device=" + device);

    Map<String, Object> kustomization = gpu.stream().map(Doc::body)
        .filter(b -> "Kustomization".equals(b.get("kind"))).findFirst().orElseThrow();
    assertTrue(list(kustomization.get("images")).stream()
            .anyMatch(i -> String.valueOf(map(i).get("newName")).contains("cuda")),
        "deploy/k8s/gpu must switch to the CUDA image");
  }

  @Test
  void kustomizationsReferenceExistingFiles() {
    List<Doc> ks = files.docs.stream().filter(d -> "Kustomization".equals(d.body().get("kind"))).toList();
    assertFalse(ks.isEmpty(), "no kustomization.yaml");
    for (Doc k : ks) {
      Path dir = k.file().getParent();
      List<Object> refs = new ArrayList<>(list(k.body().get("resources")));
      list(k.body().get("patches")).forEach(p -> {
        if (map(p).get("path") != null) {
          refs.add(map(p).get("path"));
        }
      });
      for (Object r : refs) {
        Path p = dir.resolve(String.valueOf(r)).normalize();
        assertTrue(Files.isRegularFile(p) || Files.isRegularFile(p.resolve("kustomization.yaml")),
            files.rel(k.file()) + ": " + r + " does not exist");
      }
    }
  }

  // ------------------------------------------------------------------------------ compose

  @Test
  void composeRunsKafkaTheTopicsLoraflowAndPrometheusOnTheConfiguredPort() {
    Doc compose = files.docs.stream().filter(d -> d.body().get("services") != null
        && d.file().startsWith(root.resolve("deploy/compose"))).findFirst().orElseThrow();
    Map<String, Object> services = map(compose.body().get("services"));
    Map.Entry<String, Object> lf = services.entrySet().stream()
        .filter(e -> DeployFiles.isLoraflowComposeService(map(e.getValue()))).findFirst().orElseThrow();
    Map<String, Object> svc = map(lf.getValue());
    Map<String, String> config = new LinkedHashMap<>();
    DeployFiles.composeEnv(svc).forEach((k, v) -> {
      if (k.startsWith(DeployFiles.ENV_PREFIX) && v != null) {
        config.put(DeployFiles.envToKey(k), String.valueOf(v));
      }
    });
    String port = config.getOrDefault(HTTP_PORT, defaultHttpPort());
    boolean published = list(svc.get("ports")).stream().anyMatch(p -> p instanceof Map<?, ?> m
        ? port.equals(String.valueOf(m.get("target"))) : String.valueOf(p).endsWith(":" + port));
    assertTrue(published, "compose: loraflow does not publish its HTTP port " + port);

    // Prometheus scrapes <service>:<http.port>/metrics.
    Map<String, Object> prom = services.values().stream().map(DeployFiles::map)
        .filter(s -> String.valueOf(s.get("image")).contains("prometheus")).findFirst()
        .orElseThrow(() -> new AssertionError("compose: no Prometheus service"));
    String mount = list(prom.get("volumes")).stream().map(String::valueOf)
        .filter(v -> v.contains(":/etc/prometheus/prometheus.yml")).findFirst()
        .orElseThrow(() -> new AssertionError("compose: prometheus.yml not mounted"));
    Path promFile = compose.file().getParent().resolve(mount.substring(0, mount.indexOf(':'))).normalize();
    Map<String, Object> promConfig = files.docs.stream().filter(d -> d.file().equals(promFile))
        .map(Doc::body).findFirst().orElseThrow(() -> new AssertionError("missing " + promFile));
    String target = lf.getKey() + ":" + port;
    boolean scraped = list(promConfig.get("scrape_configs")).stream().map(DeployFiles::map)
        .anyMatch(job -> "/metrics".equals(job.getOrDefault("metrics_path", "/metrics"))
            && list(job.get("static_configs")).stream()
                .anyMatch(sc -> list(map(sc).get("targets")).contains(target)));
    assertTrue(scraped, "prometheus.yml does not scrape " + target + "/metrics");

    // The topics exist and the bootstrap address is one the broker advertises.
    Map<String, Integer> topics = createdTopics(text("deploy/compose/docker-compose.yml"));
    for (String key : List.of(LoraflowConfig.INPUT_TOPIC, LoraflowConfig.OUTPUT_TOPIC, LoraflowConfig.DLQ_TOPIC)) {
      assertTrue(topics.containsKey(setting(config, key)), "compose does not create " + setting(config, key));
    }
    String advertised = services.values().stream().map(DeployFiles::map)
        .map(s -> DeployFiles.composeEnv(s).get("KAFKA_ADVERTISED_LISTENERS"))
        .filter(v -> v != null).map(String::valueOf).findFirst()
        .orElseThrow(() -> new AssertionError("compose: no Kafka broker with KAFKA_ADVERTISED_LISTENERS"));
    for (String server : setting(config, LoraflowConfig.BOOTSTRAP_SERVERS).split(",")) {
      assertTrue(advertised.contains("://" + server.strip()), server + " is not advertised: " + advertised);
    }
    long shutdownMs = Long.parseLong(config.getOrDefault(LoraflowConfig.SHUTDOWN_TIMEOUT_MS, "30000"));
    assertTrue(seconds(String.valueOf(svc.getOrDefault("stop_grace_period", "10s"))) * 1000 >= shutdownMs + 10_000,
        "compose: stop_grace_period shorter than shutdown.timeout.ms + 10 s");
  }

  // ------------------------------------------------------------------------------ Dockerfiles

  @Test
  void dockerfilesBuildTheJarShipItsSbomAndRunServeAsNonRootOnTheHttpPort() {
    List<Path> dockerfiles = files.texts.keySet().stream()
        .filter(p -> p.startsWith(root.resolve("deploy/docker")))
        .filter(p -> p.getFileName().toString().startsWith("Dockerfile")
            && !p.getFileName().toString().endsWith(".dockerignore"))
        .toList();
    assertTrue(dockerfiles.size() >= 2, "expected a CPU and a CUDA Dockerfile: " + dockerfiles);
    for (Path f : dockerfiles) {
      String name = files.rel(f);
      List<String[]> ins = DeployFiles.instructions(files.texts.get(f));
      Map<String, String> globalArgs = new LinkedHashMap<>();
      int lastFrom = -1;
      for (int i = 0; i < ins.size(); i++) {
        if (ins.get(i)[0].equals("FROM")) {
          lastFrom = i;
        } else if (lastFrom < 0 && ins.get(i)[0].equals("ARG")) {
          globalArgs.putAll(DeployFiles.envPairs(ins.get(i)[1]));
        }
      }
      assertTrue(lastFrom >= 0, name + ": no FROM");
      List<String[]> finalStage = ins.subList(lastFrom, ins.size());
      String runtimeImage = resolveArgs(ins.get(lastFrom)[1].split("\\s+")[0], globalArgs);

      String mvn = ins.stream().filter(i -> i[0].equals("RUN") && i[1].contains("mvn ")).map(i -> i[1])
          .findFirst().orElseThrow(() -> new AssertionError(name + ": no RUN mvn"));
      assertTrue(mvn.contains("package"), name + ": mvn does not package");

      Map<String, String> env = new LinkedHashMap<>();
      String user = null;
      List<String> exposed = new ArrayList<>();
      List<String> entrypoint = null;
      for (String[] i : finalStage) {
        switch (i[0]) {
          case "ENV" -> env.putAll(DeployFiles.envPairs(i[1]));
          case "USER" -> user = i[1].strip();
          case "EXPOSE" -> exposed.addAll(List.of(i[1].strip().split("\\s+")));
          case "ENTRYPOINT" -> entrypoint = DeployFiles.commandWords(i[1]);
          default -> { }
        }
      }
      assertNotNull(user, name + ": runtime stage has no USER");
      assertFalse(user.startsWith("root") || user.equals("0") || user.startsWith("0:"), name + ": runs as root");
      String port = env.getOrDefault("LORAFLOW_HTTP_PORT", defaultHttpPort());
      assertTrue(exposed.stream().anyMatch(e -> e.equals(port) || e.equals(port + "/tcp")),
          name + ": EXPOSE " + exposed + " does not include the HTTP port " + port);
      assertNotNull(entrypoint, name + ": no ENTRYPOINT");
      assertTrue(entrypoint.contains("-jar") && entrypoint.get(entrypoint.size() - 1).equals("serve"),
          name + ": ENTRYPOINT should be java ... -jar loraflow.jar serve: " + entrypoint);
      assertTrue(entrypoint.stream().anyMatch(w -> w.startsWith("-XX:MaxRAMPercentage")),
          name + ": set -XX:MaxRAMPercentage so the heap follows the container limit");
      String copied = String.join(" ", finalStage.stream().filter(i -> i[0].equals("COPY")).map(i -> i[1]).toList());
      for (String shipped : List.of("target/loraflow.cdx.json", "target/loraflow-third-party-licenses.md",
          "target/loraflow-third-party-notices.txt", "/LICENSE", "/NOTICE")) {
        assertTrue(copied.contains(shipped), name + ": the image should carry " + shipped + " (docs/release.md)");
      }
      String installs = finalStage.stream().filter(i -> i[0].equals("RUN")).map(i -> i[1])
          .collect(java.util.stream.Collectors.joining(" "));
      for (String lib : List.of("libturbojpeg", "libspng0", "libwebp7")) {
        assertTrue(installs.matches("(?s).*\\b" + lib + "\\b.*"),
            name + ": the runtime stage does not install " + lib + " (a native image decoder)");
      }

      if (name.endsWith(".cuda")) {
        assertTrue(runtimeImage.matches("nvidia/cuda:12\\.[0-9.]+-cudnn9?-runtime-ubuntu[0-9.]+"),
            name + ": runtime image must be a CUDA 12 runtime image with cuDNN 9: " + runtimeImage);
        assertTrue(mvn.contains("-Pcuda"), name + ": build with the cuda profile (-Pcuda)");
        String device = env.get("LORAFLOW_INFERENCE_DEVICE");
        assertTrue("cuda".equals(device) || "auto".equals(device), name + ": inference.device " + device);
      } else {
        assertFalse(mvn.contains("-Pcuda"), name + ": the CPU image must not use the cuda profile");
      }
    }
  }

  // ------------------------------------------------------------------------------ helpers

  /** deploy/k8s without its overlays (gpu, share): the CPU consumer-group variant. */
  private static List<Doc> k8sBase() {
    Path gpu = root.resolve("deploy/k8s/gpu");
    Path share = root.resolve("deploy/k8s/share");
    return files.docs.stream()
        .filter(d -> d.file().startsWith(root.resolve("deploy/k8s")) && !d.file().startsWith(gpu)
            && !d.file().startsWith(share))
        .filter(d -> d.body().get("kind") != null)
        .toList();
  }

  private static Map<String, Object> one(List<Doc> docs, String kind) {
    List<Map<String, Object>> found = docs.stream().map(Doc::body)
        .filter(b -> kind.equals(b.get("kind"))).toList();
    assertEquals(1, found.size(), "deploy/k8s: expected one " + kind);
    return found.get(0);
  }

  private static Map<String, Object> loraflowContainer(Map<String, Object> workload) {
    return DeployFiles.containers(DeployFiles.podSpec(workload)).stream()
        .filter(DeployFiles::isLoraflowContainer).findFirst()
        .orElseThrow(() -> new AssertionError("no loraflow container in " + at(workload, "metadata", "name")));
  }

  /** config file (from the ConfigMap named by --config) < env (base, then overlay) < flags. */
  private static Map<String, String> effectiveConfig(List<Doc> docs, Map<String, Object> deploy,
      List<Object> overlayEnv) {
    Map<String, Object> c = loraflowContainer(deploy);
    Map<String, Object> pod = DeployFiles.podSpec(deploy);
    List<String> args = DeployFiles.serveArgs(c);
    String configPath = null;
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--config") && i + 1 < args.size()) {
        configPath = args.get(i + 1);
      } else if (args.get(i).startsWith("--config=")) {
        configPath = args.get(i).substring("--config=".length());
      }
    }
    for (Object e : list(c.get("env"))) {
      if ("LORAFLOW_CONFIG".equals(map(e).get("name"))) {
        configPath = str(map(e).get("value"));
      }
    }
    Map<String, String> config = new LinkedHashMap<>();
    if (configPath != null) {
      config.putAll(mountedConfig(docs, pod, c, configPath));
    }
    List<Object> env = new ArrayList<>(list(c.get("env")));
    env.addAll(overlayEnv);
    for (Object e : env) {
      String name = str(map(e).get("name"));
      if (name.startsWith(DeployFiles.ENV_PREFIX) && map(e).containsKey("value")) {
        config.put(DeployFiles.envToKey(name), str(map(e).get("value")));
      }
    }
    for (int i = 0; i + 1 < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith("--") && !a.equals("--config") && !a.contains("=")) {
        String n = a.substring(2);
        config.put(n.startsWith("kafka.") ? n : n.replace('-', '.'), args.get(++i));
      }
    }
    return config;
  }

  private static Map<String, String> mountedConfig(List<Doc> docs, Map<String, Object> pod,
      Map<String, Object> c, String path) {
    for (Object m : list(c.get("volumeMounts"))) {
      String mountPath = str(map(m).get("mountPath"));
      if (!path.startsWith(mountPath + "/")) {
        continue;
      }
      String key = path.substring(mountPath.length() + 1);
      Object volume = list(pod.get("volumes")).stream()
          .filter(v -> map(m).get("name").equals(map(v).get("name"))).findFirst().orElse(null);
      String cmName = str(at(volume, "configMap", "name"));
      Map<String, Object> cm = docs.stream().map(Doc::body)
          .filter(b -> "ConfigMap".equals(b.get("kind")) && at(b, "metadata", "name").equals(cmName))
          .findFirst().orElseThrow(() -> new AssertionError("--config " + path + ": no ConfigMap " + cmName));
      Object data = map(cm.get("data")).get(key);
      assertNotNull(data, "--config " + path + ": ConfigMap " + cmName + " has no key " + key);
      Properties p = new Properties();
      try {
        p.load(new StringReader(String.valueOf(data)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Map<String, String> out = new LinkedHashMap<>();
      p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
      return out;
    }
    return fail("--config " + path + " is not on a mounted volume");
  }

  private static String setting(Map<String, String> config, String key) {
    return config.getOrDefault(key, String.valueOf(LoraflowConfig.keys().get(key).defaultValue()));
  }

  private static String defaultHttpPort() {
    ConfigKey k = LoraflowConfig.keys().get(HTTP_PORT);
    return k == null ? "8080" : String.valueOf(k.defaultValue());
  }

  private static void assertProbe(Map<String, Object> c, String probe, String path, int port) {
    assertNotNull(c.get(probe), "loraflow container has no " + probe);
    assertEquals(path, at(c, probe, "httpGet", "path"), probe + " path");
    assertEquals(port, resolvePort(c, at(c, probe, "httpGet", "port")),
        probe + " port must be the HTTP port the config sets (" + HTTP_PORT + ")");
  }

  /** A port number, or a container port's name. */
  private static int resolvePort(Map<String, Object> c, Object port) {
    if (port instanceof Number n) {
      return n.intValue();
    }
    String s = String.valueOf(port);
    if (s.matches("\\d+")) {
      return Integer.parseInt(s);
    }
    return list(c.get("ports")).stream().map(DeployFiles::map).filter(p -> s.equals(p.get("name")))
        .map(p -> ((Number) p.get("containerPort")).intValue()).findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + s));
  }

  private static void assertSubset(Map<String, Object> selector, Map<String, Object> labels, String what) {
    assertFalse(selector.isEmpty(), what + " is empty");
    selector.forEach((k, v) -> assertEquals(v, labels.get(k), what + " " + k + " does not match the pod labels"));
  }

  static Map<String, Integer> createdTopics(String text) {
    Map<String, Integer> out = new LinkedHashMap<>();
    Matcher m = CREATE_TOPIC.matcher(text);
    while (m.find()) {
      out.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    return out;
  }

  private static String text(String rel) {
    String t = files.texts.get(root.resolve(rel));
    assertNotNull(t, "missing " + rel);
    return t;
  }

  private static String resolveArgs(String s, Map<String, String> args) {
    Matcher m = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?").matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(args.get(m.group(1)))));
    }
    return m.appendTail(out).toString();
  }

  private static long seconds(String duration) {
    Matcher m = Pattern.compile("(\\d+)(h|m|s)").matcher(duration);
    long s = 0;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      s += switch (m.group(2)) {
        case "h" -> n * 3600;
        case "m" -> n * 60;
        default -> n;
      };
    }
    return s;
  }

  private static void assertNoProblems(List<String> problems) {
    if (!problems.isEmpty()) {
      fail(problems.size() + " problem(s) in the deployment files:\n  " + String.join("\n  ", problems));
    }
  }

  private static void write(Path p, String text) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }
}
