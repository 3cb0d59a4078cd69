package io.loraflow.inference;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot-loads task adapters from a folder: {@code NAME.onnx_adapter} (or {@code NAME.safetensors})
 * with {@code NAME.labels.txt}
 * appearing (or changing) registers task NAME; the adapter file disappearing unregisters it, its
 * in-flight events finishing first. Only tasks this folder registered are ever removed by it.
 *
 * <p>Concurrency: scans run on a worker thread, one at a time.
 */
public final class AdapterFolder {
  private static final Logger LOG = LoggerFactory.getLogger(AdapterFolder.class);
  private static final List<String> SUFFIXES = List.of(".onnx_adapter", ".safetensors");

  private final Vertx vertx;
  private final Path dir;
  private final TaskRegistry tasks;
  private final long intervalMs;
  private final Map<String, Long> seen = new HashMap<>();
  private final Map<String, Path> adapterFiles = new HashMap<>();
  private long timer = -1;

  public AdapterFolder(Vertx vertx, Path dir, TaskRegistry tasks, long intervalMs) {
    this.vertx = vertx;
    this.dir = dir;
    this.tasks = tasks;
    this.intervalMs = intervalMs;
  }

  public void start() {
    scan();
    timer = vertx.setPeriodic(intervalMs, id -> vertx.executeBlocking(() -> {
      scan();
      return null;
    }, true));
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  synchronized void scan() {
    Map<String, Long> now = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        for (String suffix : SUFFIXES) {
          if (name.endsWith(suffix)) {
            String task = name.substring(0, name.length() - suffix.length());
            now.put(task, Files.getLastModifiedTime(f).toMillis());
            adapterFiles.put(task, f);
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("event=adapters_scan_failed dir={} error={}", dir, e.toString());
      return;
    }
    now.forEach((task, modified) -> {
      if (!modified.equals(seen.get(task))) {
        Path labels = dir.resolve(task + ".labels.txt");
        try {
          List<String> names = ModelPackage.readLabels(labels);
          tasks.register(new TaskSpec(task, adapterFiles.get(task), names));
          seen.put(task, modified);
        } catch (IOException | RuntimeException e) {
          LOG.warn("event=adapter_skipped task={} reason=\"{}\"", task, "needs " + labels + ": " + e.getMessage());
        }
      }
    });
    Set<String> gone = new HashSet<>(seen.keySet());
    gone.removeAll(now.keySet());
    gone.forEach(task -> {
      seen.remove(task);
      tasks.unregister(task);
    });
  }
}
