package io.loraflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.KafkaProperties.Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  private final List<String> warnings = new ArrayList<>();

  private LoraflowConfig load(String file, Map<String, String> flags, Map<String, String> env) {
    return ConfigLoader.load(file, flags, env, warnings::add);
  }

  @Test
  void shareGroupRefusesExactlyOnce() {
    ConfigException e = assertThrows(ConfigException.class, () -> LoraflowConfig.of(Map.of("group.type", "share",
        "ordering", "none", "processing.guarantee", "exactly_once")));
    assertTrue(e.getMessage().contains("group.type=share") && e.getMessage().contains("exactly_once"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
  }

  @Test
  void shareGroupRefusesPartitionOrdering() {
    ConfigException e = assertThrows(ConfigException.class, () -> LoraflowConfig.of(Map.of("group.type", "share")));
    assertTrue(e.getMessage().contains("ordering=partition") && e.getMessage().contains("ordering=none"),
        e.getMessage());
    LoraflowConfig ok = LoraflowConfig.of(Map.of("group.type", "share", "ordering", "none"));
    assertEquals(3, ok.getInt(LoraflowConfig.SHARE_MAX_DELIVERIES));
    assertEquals("earliest", ok.getString(LoraflowConfig.SHARE_AUTO_OFFSET_RESET));
  }

  @Test
  void defaultsApplyWithoutAnySource() {
    LoraflowConfig c = load(null, Map.of(), Map.of());
    assertEquals(32, c.getInt(LoraflowConfig.MAX_BATCH_SIZE));
    assertEquals("images", c.getString(LoraflowConfig.INPUT_TOPIC));
    assertEquals(List.of(), warnings);
  }

  @Test
  void flagOverridesEnvWhichOverridesFile() throws Exception {
    Path file = dir.resolve("loraflow.json");
    Files.writeString(file, "{\"max\": {\"batch\": {\"size\": 8}}, \"input.topic\": \"from-file\","
        + " \"output.topic\": \"out-file\", \"group.id\": \"g-file\"}");
    LoraflowConfig c = load(file.toString(), Map.of("input.topic", "from-flag"),
        Map.of("LORAFLOW_INPUT_TOPIC", "from-env", "LORAFLOW_OUTPUT_TOPIC", "out-env"));
    assertEquals(8, c.getInt(LoraflowConfig.MAX_BATCH_SIZE), "file value");
    assertEquals("out-env", c.getString(LoraflowConfig.OUTPUT_TOPIC), "env beats file");
    assertEquals("from-flag", c.getString(LoraflowConfig.INPUT_TOPIC), "flag beats env");
    assertEquals("g-file", c.getString(LoraflowConfig.GROUP_ID));
  }

  @Test
  void propertiesFileNamedByTheEnvironment() throws Exception {
    Path file = dir.resolve("loraflow.properties");
    Files.writeString(file, "max.in.flight=64\n");
    LoraflowConfig c = load(null, Map.of(), Map.of("LORAFLOW_CONFIG", file.toString()));
    assertEquals(64, c.getInt(LoraflowConfig.MAX_IN_FLIGHT));
    assertEquals(List.of(), warnings, "LORAFLOW_CONFIG is not an ignored variable");
  }

  @Test
  void invalidValueNamesKeyValueAndWhatIsAllowed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(null, Map.of("max.batch.size", "0"), Map.of()));
    assertTrue(e.getMessage().contains("max.batch.size"), e.getMessage());
    assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    assertTrue(e.getMessage().contains("between 1 and 4096"), e.getMessage());
    ConfigException notANumber = assertThrows(ConfigException.class,
        () -> load(null, Map.of(), Map.of("LORAFLOW_MAX_IN_FLIGHT", "lots")));
    assertTrue(notANumber.getMessage().contains("max.in.flight"), notANumber.getMessage());
    ConfigException device = assertThrows(ConfigException.class,
        () -> load(null, Map.of("inference.device", "tpu"), Map.of()));
    assertTrue(device.getMessage().contains("auto, cpu, cuda"), device.getMessage());
    ConfigException yes = assertThrows(ConfigException.class,
        () -> load(null, Map.of("fetch.s3.path.style", "yes"), Map.of()));
    assertTrue(yes.getMessage().contains("true or false"), yes.getMessage());
    ConfigException endpoint = assertThrows(ConfigException.class,
        () -> load(null, Map.of("fetch.s3.endpoint", "minio:9000"), Map.of()));
    assertTrue(endpoint.getMessage().contains("http(s) URL"), endpoint.getMessage());
    LoraflowConfig s3 = load(null, Map.of("fetch.s3.path.style", "true",
        "fetch.s3.endpoint", "http://minio:9000"), Map.of());
    assertTrue(s3.getBoolean(LoraflowConfig.FETCH_S3_PATH_STYLE));
  }

  @Test
  void cudaProviderOptionsAreNameValuePairsInOrder() {
    LoraflowConfig c = load(null, Map.of("inference.cuda.options", "cudnn_conv_algo_search=HEURISTIC, use_tf32=0"),
        Map.of());
    assertEquals(List.of("cudnn_conv_algo_search", "use_tf32"),
        List.copyOf(c.getNamedValues("inference.cuda.options").keySet()));
    assertEquals("0", c.getNamedValues("inference.cuda.options").get("use_tf32"));
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(null, Map.of(), Map.of("LORAFLOW_INFERENCE_CUDA_OPTIONS", "use_tf32")));
    assertTrue(e.getMessage().contains("inference.cuda.options") && e.getMessage().contains("name=value"),
        e.getMessage());
  }

  @Test
  void unknownSettingIsRefusedNamingTheClosest() throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(null, Map.of("max.batch", "3"), Map.of()));
    assertTrue(e.getMessage().startsWith("Unknown setting 'max.batch' (did you mean 'max.batch.size'?)"),
        e.getMessage());
    ConfigException unlike = assertThrows(ConfigException.class, () -> load(null, Map.of("port", "1"), Map.of()));
    assertTrue(unlike.getMessage().startsWith("Unknown setting 'port'. Settings: "), "no far-fetched hint: "
        + unlike.getMessage());
    Path file = dir.resolve("loraflow.properties");
    Files.writeString(file, "fetch.retriez=1\n");
    ConfigException fromFile = assertThrows(ConfigException.class, () -> load(file.toString(), Map.of(), Map.of()));
    assertTrue(fromFile.getMessage().contains("did you mean 'fetch.retries'"), fromFile.getMessage());
  }

  /**
   * A pod behind a Service named loraflow gets the kubelet's service links, LORAFLOW_PORT
   * included: the service starts, reads its real variables and names the others in one warning.
   */
  @Test
  void kubeletServiceLinksAndOtherVariablesAreIgnoredWithOneWarning() {
    Map<String, String> env = Map.of(
        "LORAFLOW_PORT", "tcp://10.0.0.1:8080",
        "LORAFLOW_PORT_8080_TCP", "tcp://10.0.0.1:8080",
        "LORAFLOW_PORT_8080_TCP_ADDR", "10.0.0.1",
        "LORAFLOW_SERVICE_HOST", "10.0.0.1",
        "LORAFLOW_SERVICE_PORT_HTTP", "8080",
        // A Service named loraflow-kafka: its links look like Kafka properties but are not.
        "LORAFLOW_KAFKA_SERVICE_HOST", "10.0.0.2",
        "LORAFLOW_KAFKA_PORT", "tcp://10.0.0.2:9092",
        "LORAFLOW_PARITY_MODEL_DIR", "/models/vit-b16",
        "LORAFLOW_HTTP_PORT", "9000",
        "LORAFLOW_KAFKA_CONSUMER_CLIENT_ID", "pod-1");
    LoraflowConfig c = load(null, Map.of(), env);
    assertEquals(9000, c.getInt(LoraflowConfig.HTTP_PORT));
    assertEquals(Map.of("client.id", "pod-1"), c.kafka(Client.CONSUMER));
    assertEquals(1, warnings.size(), warnings.toString());
    for (String ignored : List.of("LORAFLOW_PORT", "LORAFLOW_PORT_8080_TCP", "LORAFLOW_PORT_8080_TCP_ADDR",
        "LORAFLOW_SERVICE_HOST", "LORAFLOW_SERVICE_PORT_HTTP", "LORAFLOW_KAFKA_SERVICE_HOST",
        "LORAFLOW_KAFKA_PORT", "LORAFLOW_PARITY_MODEL_DIR")) {
      assertTrue(warnings.get(0).contains(ignored + ",") || warnings.get(0).contains(ignored + " "),
          ignored + " not named in " + warnings.get(0));
    }
    assertFalse(warnings.get(0).contains("LORAFLOW_HTTP_PORT"), warnings.get(0));
    assertFalse(warnings.get(0).contains("CLIENT_ID"), warnings.get(0));
  }

  @Test
  void kafkaPropertiesPassThroughVerbatimAndSecretsAreMasked() {
    LoraflowConfig c = load(null, Map.of("kafka.consumer.fetch.min.bytes", "1024",
            "kafka.producer.sasl.jaas.config", "org.example.Login required password=\"hunter2\";"),
        Map.of("LORAFLOW_KAFKA_ADMIN_SECURITY_PROTOCOL", "SSL"));
    assertEquals(Map.of("fetch.min.bytes", "1024"), c.kafka(Client.CONSUMER));
    assertEquals("SSL", c.kafka(Client.ADMIN).get("security.protocol"));
    assertTrue(c.kafka(Client.PRODUCER).get("sasl.jaas.config").contains("hunter2"));
    assertEquals("[hidden]", c.describe().get("kafka.producer.sasl.jaas.config"));
    assertFalse(c.describe().toString().contains("hunter2"));
  }

  @Test
  void printConfigHidesTheAdminTokenAndKeyPassphrases() {
    LoraflowConfig c = load(null, Map.of(LoraflowConfig.HTTP_ADMIN_TOKEN, "s3cret-admin-token-0123",
        "kafka.sasl.oauthbearer.assertion.private.key.passphrase", "pass-4-key"), Map.of());
    assertEquals("[hidden]", c.describe().get(LoraflowConfig.HTTP_ADMIN_TOKEN));
    assertFalse(c.describe().toString().contains("s3cret-admin-token"), c.describe().toString());
    assertFalse(c.describe().toString().contains("pass-4-key"), c.describe().toString());
    assertEquals("", load(null, Map.of(), Map.of()).describe().get(LoraflowConfig.HTTP_ADMIN_TOKEN),
        "an empty token (admin off) shows as empty");
  }

  @Test
  void aServiceLinkNamedLikeASettingIsIgnoredNotParsed() {
    // A Service named loraflow-http in the namespace: the kubelet sets LORAFLOW_HTTP_PORT=tcp://...
    LoraflowConfig c = load(null, Map.of(), Map.of("LORAFLOW_HTTP_PORT", "tcp://10.0.0.7:8080",
        "LORAFLOW_MAX_IN_FLIGHT", "64"));
    assertEquals(8080, c.getInt(LoraflowConfig.HTTP_PORT), "the default, not the link");
    assertEquals(64, c.getInt(LoraflowConfig.MAX_IN_FLIGHT));
  }

  @Test
  void commonKafkaPropertiesReachEveryClientThatDefinesThemAndSpecificOnesWin() {
    LoraflowConfig c = load(null, Map.of(
        "kafka.security.protocol", "SASL_SSL",
        "kafka.sasl.mechanism", "PLAIN",
        "kafka.max.poll.records", "100",
        "kafka.admin.security.protocol", "SSL"), Map.of("LORAFLOW_KAFKA_SSL_TRUSTSTORE_LOCATION", "/tls/ca.p12"));
    for (Client client : Client.values()) {
      Map<String, String> p = c.kafka(client);
      assertEquals(client == Client.ADMIN ? "SSL" : "SASL_SSL", p.get("security.protocol"), client.name());
      assertEquals("PLAIN", p.get("sasl.mechanism"), client.name());
      assertEquals("/tls/ca.p12", p.get("ssl.truststore.location"), client.name());
    }
    assertEquals("100", c.kafka(Client.CONSUMER).get("max.poll.records"));
    assertFalse(c.kafka(Client.PRODUCER).containsKey("max.poll.records"), "a consumer property only");
    assertFalse(c.kafka(Client.ADMIN).containsKey("max.poll.records"), "a consumer property only");
  }

  @Test
  void unknownKafkaPropertyIsRefusedNamingTheClosestKnownOne() {
    ConfigException specific = assertThrows(ConfigException.class,
        () -> load(null, Map.of("kafka.consumer.max.pol.records", "5"), Map.of()));
    assertTrue(specific.getMessage().startsWith("Unknown Kafka property 'kafka.consumer.max.pol.records' "
        + "(did you mean 'kafka.consumer.max.poll.records'?)"), specific.getMessage());
    ConfigException producerOnly = assertThrows(ConfigException.class,
        () -> load(null, Map.of("kafka.producer.max.poll.records", "5"), Map.of()));
    assertTrue(producerOnly.getMessage().contains("'kafka.producer.max.poll.records'"), producerOnly.getMessage());
    ConfigException common = assertThrows(ConfigException.class,
        () -> load(null, Map.of(), Map.of("LORAFLOW_KAFKA_SECURITY_PROTOKOL", "SSL")));
    assertTrue(common.getMessage().contains("did you mean 'kafka.security.protocol'"), common.getMessage());
  }

  @Test
  void kafkaPropertiesUnderADefinedOneAreAccepted() {
    LoraflowConfig c = load(null, Map.of("kafka.config.providers", "file",
        "kafka.config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"), Map.of());
    assertEquals("org.apache.kafka.common.config.provider.FileConfigProvider",
        c.kafka(Client.PRODUCER).get("config.providers.file.class"));
  }
}
