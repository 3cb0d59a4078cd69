package io.loraflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void defaultsApplyWithoutAnySource() {
    LoraflowConfig c = ConfigLoader.load(List.of(), Map.of());
    assertEquals(32, c.getInt(LoraflowConfig.MAX_BATCH_SIZE));
    assertEquals("images", c.getString(LoraflowConfig.INPUT_TOPIC));
  }

  @Test
  void flagOverridesEnvWhichOverridesFile() throws Exception {
    Path file = dir.resolve("loraflow.json");
    Files.writeString(file, "{\"max\": {\"batch\": {\"size\": 8}}, \"input.topic\": \"from-file\","
        + " \"output.topic\": \"out-file\", \"group.id\": \"g-file\"}");
    LoraflowConfig c = ConfigLoader.load(
        List.of("--config", file.toString(), "--input-topic", "from-flag"),
        Map.of("LORAFLOW_INPUT_TOPIC", "from-env", "LORAFLOW_OUTPUT_TOPIC", "out-env"));
    assertEquals(8, c.getInt(LoraflowConfig.MAX_BATCH_SIZE), "file value");
    assertEquals("out-env", c.getString(LoraflowConfig.OUTPUT_TOPIC), "env beats file");
    assertEquals("from-flag", c.getString(LoraflowConfig.INPUT_TOPIC), "flag beats env");
    assertEquals("g-file", c.getString(LoraflowConfig.GROUP_ID));
  }

  @Test
  void propertiesFileAndEqualsFlags() throws Exception {
    Path file = dir.resolve("loraflow.properties");
    Files.writeString(file, "max.in.flight=64\n");
    LoraflowConfig c = ConfigLoader.load(List.of("--config=" + file, "--max-queue-delay-ms=20"), Map.of());
    assertEquals(64, c.getInt(LoraflowConfig.MAX_IN_FLIGHT));
    assertEquals(20L, c.getLong(LoraflowConfig.MAX_QUEUE_DELAY_MS));
  }

  @Test
  void requiredFlagNamesExist() {
    LoraflowConfig c = ConfigLoader.load(List.of("--bootstrap-servers", "k:9", "--input-topic", "i",
        "--output-topic", "o", "--dlq-topic", "d", "--group-id", "g", "--model", "m"), Map.of());
    assertEquals("k:9", c.getString(LoraflowConfig.BOOTSTRAP_SERVERS));
    assertEquals("d", c.getString(LoraflowConfig.DLQ_TOPIC));
    assertEquals("m", c.getString(LoraflowConfig.MODEL));
  }

  @Test
  void invalidValueNamesKeyValueAndWhatIsAllowed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(List.of("--max-batch-size", "0"), Map.of()));
    assertTrue(e.getMessage().contains("max.batch.size"), e.getMessage());
    assertTrue(e.getMessage().contains("'0'"), e.getMessage());
    assertTrue(e.getMessage().contains("between 1 and 4096"), e.getMessage());
    ConfigException notANumber = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(List.of(), Map.of("LORAFLOW_MAX_IN_FLIGHT", "lots")));
    assertTrue(notANumber.getMessage().contains("max.in.flight"), notANumber.getMessage());
    ConfigException device = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(List.of("--inference-device", "tpu"), Map.of()));
    assertTrue(device.getMessage().contains("auto, cpu, cuda"), device.getMessage());
  }

  @Test
  void unknownSettingIsRefused() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(List.of("--max-batch", "3"), Map.of()));
    assertTrue(e.getMessage().contains("max.batch"), e.getMessage());
  }

  @Test
  void kafkaPropertiesPassThroughVerbatimAndSecretsAreMasked() {
    LoraflowConfig c = ConfigLoader.load(List.of("--kafka.consumer.fetch.min.bytes=1024",
            "--kafka.producer.sasl.jaas.config", "org.example.Login required password=\"hunter2\";"),
        Map.of("LORAFLOW_KAFKA_ADMIN_SECURITY_PROTOCOL", "SSL"));
    assertEquals(Map.of("fetch.min.bytes", "1024"), c.kafka("consumer"));
    assertEquals("SSL", c.kafka("admin").get("security.protocol"));
    assertTrue(c.kafka("producer").get("sasl.jaas.config").contains("hunter2"));
    assertEquals("[hidden]", c.describe().get("kafka.producer.sasl.jaas.config"));
    assertFalse(c.describe().toString().contains("hunter2"));
  }
}
