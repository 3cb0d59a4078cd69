package io.loraflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.testkit.ServiceProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The command line: help per command, usage errors as one line and exit status 2, and serve's
 * flags, in every form the tests, scripts and manifests use. In-process, but for the last test,
 * which starts a JVM as the kubelet would (service links in its environment).
 */
class LoraflowCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(Map<String, String> env, String... args) {
    CommandLine cl = LoraflowCommand.commandLine(env);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private int run(String... args) {
    return run(Map.of(), args);
  }

  @ParameterizedTest
  @ValueSource(strings = {"serve", "demo", "device", "evaluate", "config"})
  void everyCommandAnswersHelp(String command) {
    assertEquals(0, run(command, "--help"), err.toString());
    assertTrue(out.toString().startsWith("Usage: loraflow " + command), out.toString());
    assertEquals("", err.toString());
  }

  @Test
  void helpListsTheCommandsAndSettings() {
    assertEquals(0, run("--help"));
    for (String command : List.of("serve", "demo", "device", "evaluate", "config")) {
      assertTrue(out.toString().contains("\n  " + command + " "), command + " missing from " + out);
    }
    out.getBuffer().setLength(0);
    assertEquals(0, run("help", "serve"));
    assertTrue(out.toString().contains("--max-batch-size=<int>"), out.toString());
    assertTrue(out.toString().contains("--kafka.PROPERTY=VALUE"), out.toString());
  }

  @Test
  void versionNamesVersionAndCommit() {
    assertEquals(0, run("--version"));
    assertTrue(out.toString().matches("loraflow \\S+ \\(commit \\S+\\)\\R"), out.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "serve --max-batch-siz 3               | Unknown option: '--max-batch-siz' (did you mean '--max-batch-size'?)",
      "serve --max-in-flight lots            | Invalid value 'lots' for setting 'max.in.flight': expected an integer",
      "serve --kafka.consumer.max.pol.records=3 | did you mean 'kafka.consumer.max.poll.records'?",
      "serve --kafka.consumer.client.id      | Missing value for option '--kafka.consumer.client.id'",
      "serve stray                           | Unexpected argument 'stray'",
      "demo --events abc                     | Invalid value for option '--events': 'abc' is not an int",
      "demo --model                          | Missing required parameter for option '--model'",
      "demo --help=yes                       | Invalid value for option '--help': 'yes' is not a boolean",
      "device --seconds x                    | Invalid value for option '--seconds': 'x' is not an int",
      "device --inference-device tpu         | must be one of auto, cpu, cuda",
      "config --bogus                        | Unknown option: '--bogus'",
      "sevre                   | Unknown command 'sevre'; the commands are serve, demo, device, evaluate, config, help"})
  void usageErrorsAreOneLineAndExitTwo(String args, String expected) {
    assertEquals(2, run(args.strip().split("\\s+")), err.toString());
    String e = err.toString();
    assertTrue(e.contains(expected), "expected '" + expected + "' in: " + e);
    assertTrue(e.startsWith("loraflow"), e);
    assertEquals(1, e.lines().count(), "one line: " + e);
    assertEquals("", out.toString());
  }

  @Test
  void noCommandPrintsTheUsageAsAnError() {
    assertEquals(2, run());
    assertTrue(err.toString().startsWith("Usage: loraflow"), err.toString());
  }

  @Test
  void serveReadsEveryFlagFormAndFlagsBeatEnvWhichBeatsTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("loraflow.properties");
    Files.writeString(file, "max.in.flight=64\ninput.topic=from-file\noutput.topic=out-file\n");
    assertEquals(0, run(Map.of("LORAFLOW_INPUT_TOPIC", "from-env", "LORAFLOW_OUTPUT_TOPIC", "out-env"),
        "serve", "--config=" + file, "--print-config",
        "--input-topic", "from-flag", "--max-queue-delay-ms=20", "--max-batch-size", "4", "--max-batch-size=8",
        "--kafka.consumer.fetch.min.bytes=1024",
        "--kafka.producer.sasl.jaas.config", "org.example.Login required password=\"hunter2\";",
        // The dashed form some scripts use (Kafka property names have no dashes).
        "--kafka-consumer-session-timeout-ms", "6000",
        "--kafka.security.protocol=SSL"), err.toString());
    List<String> lines = out.toString().lines().toList();
    for (String expected : List.of("max.in.flight=64", "output.topic=out-env", "input.topic=from-flag",
        "max.queue.delay.ms=20", "max.batch.size=8", "kafka.consumer.fetch.min.bytes=1024",
        "kafka.producer.sasl.jaas.config=[hidden]", "kafka.consumer.session.timeout.ms=6000",
        "kafka.security.protocol=SSL")) {
      assertTrue(lines.contains(expected), expected + " not in " + lines);
    }
  }

  /**
   * {@code loraflow serve} in a JVM of its own whose environment holds what the kubelet adds for
   * a Service named loraflow: it starts (here: prints its config) and warns once, naming them.
   */
  @Test
  void serveStartsUnderKubeletServiceLinksAndWarnsOnce() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", ServiceProcess.pathingJar().toString(), "io.loraflow.Main", "serve", "--print-config"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("LORAFLOW_"));
    pb.environment().putAll(Map.of(
        "LORAFLOW_PORT", "tcp://10.0.0.1:8080",
        "LORAFLOW_PORT_8080_TCP", "tcp://10.0.0.1:8080",
        "LORAFLOW_PORT_8080_TCP_PROTO", "tcp",
        "LORAFLOW_SERVICE_HOST", "10.0.0.1",
        "LORAFLOW_SERVICE_PORT", "8080",
        "LORAFLOW_PARITY_MODEL_DIR", "/models/vit-b16",
        "LORAFLOW_MAX_BATCH_SIZE", "8"));
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve --print-config did not finish");
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), stderr);
    assertTrue(stdout.lines().anyMatch("max.batch.size=8"::equals), stdout);
    List<String> warnings = stderr.lines().filter(l -> l.contains("WARN")).toList();
    assertEquals(1, warnings.size(), stderr);
    for (String v : List.of("LORAFLOW_PORT", "LORAFLOW_PORT_8080_TCP", "LORAFLOW_PORT_8080_TCP_PROTO",
        "LORAFLOW_SERVICE_HOST", "LORAFLOW_SERVICE_PORT", "LORAFLOW_PARITY_MODEL_DIR")) {
      assertTrue(warnings.get(0).matches(".*[=,]" + v + "[, ].*"), v + " not named in " + warnings.get(0));
    }
  }
}
