package io.loraflow.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker+controller) inside this JVM, for the
 * {@code demo} command and for tests.
 *
 * <p>Contract: {@link #start(Path)} returns a ready broker (registered and unfenced) on
 * {@code 127.0.0.1} with free ports; {@link #stop()} and {@link #restart()} keep the ports and
 * the data, so clients reconnect to the same address and find their records; {@link #close()}
 * stops it and deletes the data directory only if this class created it. Topics are never
 * auto-created: create them with {@link Topics#createAndAwait}.
 *
 * <p>One instance per JVM: several collide on JMX/metric names. Starting one installs
 * non-exiting {@link Exit} procedures, because Kafka's fatal paths call {@code Exit.halt} and
 * would otherwise kill the host JVM (the demo or a test fork).
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String HOST = "127.0.0.1";
  private static final int PORT_ATTEMPTS = 5;
  private static boolean exitInstalled;

  private final Path dataDir;
  private final boolean ownsDataDir;
  /** Where the relayed listener is advertised (a test's relay in front of it); 0: no such listener. */
  private final int relayAdvertisedPort;
  private int port;
  private int controllerPort;
  private int relayedPort;
  private KafkaRaftServer server;

  private EmbeddedKafka(Path dataDir, boolean ownsDataDir, int relayAdvertisedPort) {
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.relayAdvertisedPort = relayAdvertisedPort;
  }

  /** Starts a broker on a fresh temporary directory that {@link #close()} deletes. */
  public static EmbeddedKafka start() {
    return startRelayed(0);
  }

  /**
   * As {@link #start()}, plus a second client listener for a relay (a test's proxy in front of
   * the broker): it binds a free port, {@link #relayedListenerPort()}, and is advertised at
   * {@code 127.0.0.1:advertisedPort}, so a client that bootstraps at the relay keeps talking
   * through it. The broker's own traffic (inter-broker, controller) stays on its main listeners.
   * {@code advertisedPort} 0 means no such listener.
   */
  public static EmbeddedKafka startRelayed(int advertisedPort) {
    try {
      return start(Files.createTempDirectory("loraflow-kafka-"), true, advertisedPort);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a broker whose data lives in {@code dataDir} (created and formatted if needed, reused
   * as is if already formatted). {@code null} means a temporary directory deleted on close.
   */
  public static EmbeddedKafka start(Path dataDir) {
    return dataDir == null ? start() : start(dataDir, false, 0);
  }

  private static EmbeddedKafka start(Path dataDir, boolean ownsDataDir, int relayAdvertisedPort) {
    installNonExitingProcedures();
    EmbeddedKafka kafka = new EmbeddedKafka(dataDir.toAbsolutePath(), ownsDataDir, relayAdvertisedPort);
    try {
      kafka.startOnFreePorts();
      return kafka;
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  /** {@code host:port} for clients' {@code bootstrap.servers}; stable across restarts. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The port the relayed listener binds (see {@link #startRelayed}); 0 without one. */
  public int relayedListenerPort() {
    return relayedPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** Stops the broker cleanly, keeping ports and data for {@link #restart()}. Idempotent. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    KafkaRaftServer s = server;
    server = null;
    s.shutdown();
    s.awaitShutdown();
  }

  /** Stops the broker if running, then starts it again on the same ports and data. */
  public synchronized void restart() {
    stop();
    startServer();
  }

  /** Stops the broker and deletes the data directory if {@link #start()} created it. */
  @Override
  public synchronized void close() {
    try {
      stop();
    } finally {
      if (ownsDataDir) {
        deleteRecursively(dataDir);
      }
    }
  }

  private void startOnFreePorts() {
    for (int attempt = 1; ; attempt++) {
      int[] ports = freePorts(3);
      port = ports[0];
      controllerPort = ports[1];
      relayedPort = relayAdvertisedPort > 0 ? ports[2] : 0;
      try {
        startServer();
        return;
      } catch (RuntimeException e) {
        // Another process may grab a port between probing and binding: pick new ones.
        if (attempt >= PORT_ATTEMPTS || !causedByBindFailure(e)) {
          throw e;
        }
        LOG.warn("Kafka port {} or {} was taken, retrying on new ports", port, controllerPort);
      }
    }
  }

  private synchronized void startServer() {
    Properties props = properties();
    Path propsFile = dataDir.resolve("server.properties");
    writeProperties(props, propsFile);
    format(propsFile);
    KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(s);
      throw e;
    }
    server = s;
    LOG.info("Kafka broker started on {} (data {})", bootstrapServers(), dataDir);
  }

  /** One combined node with a static quorum; see design/KAFKA-NOTES.md for the why of each. */
  private Properties properties() {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    String relayed = relayedPort > 0 ? ",RELAYED://" + HOST + ":" + relayedPort : "";
    p.setProperty("listeners",
        "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort + relayed);
    p.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port
        + (relayedPort > 0 ? ",RELAYED://" + HOST + ":" + relayAdvertisedPort : ""));
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + (relayedPort > 0 ? ",RELAYED:PLAINTEXT" : ""));
    p.setProperty("log.dirs", dataDir.resolve("logs").toString());
    p.setProperty("auto.create.topics.enable", "false");
    p.setProperty("num.partitions", "1");
    p.setProperty("default.replication.factor", "1");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "1");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    // Lets a share group's lock (share.record.lock.duration.ms, a group config; 30 s by default)
    // go below Kafka's 15 s floor, so fault tests see a dead member's records return in seconds.
    p.setProperty("group.share.min.record.lock.duration.ms", "1000");
    // Consumers join at once instead of waiting 3 s for more members.
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    // The default 128 MiB compaction buffer is heap the demo and tests do not need.
    p.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    return p;
  }

  /**
   * Formats the storage unless already formatted, so a restart keeps the data (the format tool
   * rejects a second format with another cluster id, even with {@code --ignore-formatted}).
   */
  private void format(Path propsFile) {
    if (Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] args = {
      "format", "--config", propsFile.toString(), "--cluster-id", newClusterId()
    };
    int rc;
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(args, ps);
    } catch (RuntimeException e) {
      throw new IllegalStateException("Kafka storage format failed: " + out, e);
    }
    if (rc != 0) {
      throw new IllegalStateException("Kafka storage format failed (" + rc + "): " + out);
    }
  }

  /**
   * A cluster id: 16 random bytes in unpadded base64url. Kafka's own generator also never starts
   * one with '-', which the format tool's argument parser would take for an option.
   */
  static String newClusterId() {
    return Uuid.randomUuid().toString();
  }

  /** Probes {@code n} distinct free ports, holding them all open so none repeats. */
  private static int[] freePorts(int n) {
    ServerSocket[] sockets = new ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 50, InetAddress.getByName(HOST));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    } finally {
      for (ServerSocket s : sockets) {
        closeQuietly(s);
      }
    }
  }

  private static boolean causedByBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replaces Kafka's exit and halt with procedures that log and throw, so a broker fault fails
   * the broker (and whatever uses it) instead of terminating the JVM.
   */
  private static synchronized void installNonExitingProcedures() {
    if (exitInstalled) {
      return;
    }
    Exit.setExitProcedure((code, msg) -> refuse("exit", code, msg));
    Exit.setHaltProcedure((code, msg) -> refuse("halt", code, msg));
    exitInstalled = true;
  }

  private static void refuse(String what, int code, String msg) {
    LOG.error("Embedded Kafka asked to {}({}): {}; the JVM keeps running", what, code, msg);
    throw new IllegalStateException("Embedded Kafka " + what + "(" + code + "): " + msg);
  }

  private static void writeProperties(Properties props, Path file) {
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out = Files.newOutputStream(file)) {
        props.store(out, "written by " + EmbeddedKafka.class.getName());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void shutdownQuietly(KafkaRaftServer s) {
    try {
      s.shutdown();
      s.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Kafka shutdown after a failed start failed too", e);
    }
  }

  private static void closeQuietly(ServerSocket s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // a probe socket; nothing to do
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not delete {}", dir, e);
    }
  }
}
