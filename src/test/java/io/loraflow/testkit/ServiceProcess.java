package io.loraflow.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One service instance as its own JVM: {@code java -cp <this JVM's class path> io.loraflow.Main
 * serve --key=value ...}, for tests where a crash (kill -9) or a real SIGTERM is the point.
 *
 * <p>The class path is the test JVM's own, passed through a manifest-only jar (see
 * {@link #pathingJar()}). The child logs at INFO to a file under {@code target/service-logs/};
 * failures quote its tail. Environment variables {@code LORAFLOW_*} of the test JVM are not passed
 * on, so only the given settings apply.
 */
public final class ServiceProcess implements AutoCloseable {
  private static final Path LOG_DIR = Path.of("target", "service-logs");
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final Pattern PARTITION = Pattern.compile("-(\\d+)(?=[,\\]])"); // Kafka's "topic-3" in "partitions=[…]"
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("HHmmss");

  private static Path pathingJar;

  private final String name;
  private final Process process;
  private final Path log;

  private ServiceProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts an instance with {@code settings} (service keys in dot form, e.g. {@code max.in.flight},
   * and Kafka pass-through keys such as {@code kafka.consumer.session.timeout.ms}) and waits until
   * its log shows {@code event=started}.
   */
  public static ServiceProcess start(String name, Map<String, String> settings, Duration startTimeout) {
    ServiceProcess sp = launch(name, settings);
    sp.awaitStarted(startTimeout);
    return sp;
  }

  /** Starts the JVM without waiting; see {@link #awaitStarted}. Lets several instances boot at once. */
  public static ServiceProcess launch(String name, Map<String, String> settings) {
    return launch(name, settings, "io.loraflow.Main");
  }

  /**
   * As {@link #launch(String, Map)} with another main class that takes {@code serve} and the
   * settings as {@code io.loraflow.Main} does (a wrapper that changes the service's surroundings).
   */
  public static ServiceProcess launch(String name, Map<String, String> settings, String mainClass) {
    return launch(name, settings, mainClass, List.of("-Xmx512m", "-XX:+UseSerialGC"));
  }

  /** As {@link #launch(String, Map, String)} with these JVM options (heap, GC) instead of the tests' small ones. */
  public static ServiceProcess launch(String name, Map<String, String> settings, String mainClass,
      List<String> jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    // The test class path carries a WARN-level simplelogger.properties; lifecycle lines are INFO.
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    cmd.add("-cp");
    cmd.add(pathingJar().toString());
    cmd.add(mainClass);
    cmd.add("serve");
    settings.forEach((k, v) -> cmd.add("--" + (k.startsWith("kafka.") ? k : k.replace('.', '-')) + "=" + v));
    try {
      Files.createDirectories(LOG_DIR);
      Path log = LOG_DIR.resolve(name + "-" + LocalTime.now().format(STAMP) + "-"
          + COUNTER.incrementAndGet() + ".log");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
      pb.environment().keySet().removeIf(k -> k.startsWith("LORAFLOW_"));
      return new ServiceProcess(name, pb.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the log shows {@code event=started}; kills the process and fails if it does not. */
  public ServiceProcess awaitStarted(Duration timeout) {
    try {
      awaitLog("event=started", timeout);
    } catch (AssertionError | RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  /**
   * Input partitions this instance owns according to its log: every {@code partitions_assigned}
   * line adds, every {@code partitions_revoked} line removes.
   */
  public Set<Integer> ownedPartitions() {
    Set<Integer> owned = new TreeSet<>();
    for (String line : logLines("event=partitions_(assigned|revoked|lost) ")) {
      Set<Integer> ps = new TreeSet<>();
      Matcher m = PARTITION.matcher(line.substring(line.indexOf("partitions=[")));
      while (m.find()) {
        ps.add(Integer.parseInt(m.group(1)));
      }
      if (line.contains("event=partitions_assigned")) {
        owned.addAll(ps);
      } else {
        owned.removeAll(ps);
      }
    }
    return owned;
  }

  /** True once a {@code partitions_assigned} line with at least one partition was logged. */
  public boolean hasAssignment() {
    return !logLines("event=partitions_assigned partitions=\\[[^\\]]").isEmpty();
  }

  /**
   * A manifest-only jar whose {@code Class-Path} lists this JVM's class path, so the child's
   * {@code java.class.path} stays short. ONNX Runtime 1.29's native library crashes the JVM
   * (SIGSEGV, exit 139, no hs_err file) while initialising when {@code java.class.path} is longer
   * than about 4 KB — and surefire sets that property to the full test class path.
   */
  public static synchronized Path pathingJar() {
    Path jar = LOG_DIR.resolve("service-classpath.jar").toAbsolutePath();
    if (pathingJar != null) {
      return pathingJar;
    }
    StringBuilder cp = new StringBuilder();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        cp.append(cp.length() == 0 ? "" : " ").append(Path.of(entry).toAbsolutePath().toUri());
      }
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString());
    try {
      Files.createDirectories(LOG_DIR);
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
        // The manifest is the whole jar.
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    pathingJar = jar;
    return jar;
  }

  public String name() {
    return name;
  }

  public Path logFile() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The whole log so far. */
  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** The last {@code lines} lines of the log. */
  public String tail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Lines of the log matching {@code regex} (found anywhere in the line). */
  public List<String> logLines(String regex) {
    Pattern p = Pattern.compile(regex);
    return logText().lines().filter(l -> p.matcher(l).find()).toList();
  }

  /**
   * Waits until a log line contains {@code text}; fails with the log tail if the process exits or
   * the timeout passes first.
   */
  public void awaitLog(String text, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (logText().contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited (" + process.exitValue() + ") before logging '" + text
            + "'; log " + log + ":\n" + tail(40));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " did not log '" + text + "' within " + timeout + "; log " + log
            + ":\n" + tail(40));
      }
      pause(100);
    }
  }

  /** SIGTERM (graceful shutdown) and waits for the exit; returns the exit code. */
  public int terminate(Duration timeout) {
    process.destroy();
    return awaitExit(timeout);
  }

  /** SIGKILL: the JVM dies at once, nothing is flushed or committed. Returns the exit code. */
  public int kill() {
    process.destroyForcibly();
    return awaitExit(Duration.ofSeconds(30));
  }

  private int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        throw new AssertionError(name + " did not exit within " + timeout + "; log " + log + ":\n" + tail(40));
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The exit code; fails if still running. */
  public int exitCode() {
    return process.exitValue();
  }

  /** Kills the process if it is still running (for finally blocks). */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + process.pid() + ", log " + log + ")";
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
