package io.loraflow.inference;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoraAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tasks one backbone serves, each a LoRA adapter plus its labels. Known tasks stay known;
 * their adapters are <em>resident</em> (loaded into ONNX Runtime) up to {@code maxResident}, the
 * least recently used unpinned idle one being evicted first and loaded again on demand.
 *
 * <p>Lifecycle: a task in use is {@link #acquire acquired} by each event and {@link #release
 * released} after inference; {@link #unregister} makes it unknown to new events at once and closes
 * its adapter when the last in-flight event of it is done.
 *
 * <p>Concurrency: any thread (synchronized). {@link #acquire} may read a file: call it off the
 * event loop.
 */
public final class TaskRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TaskRegistry.class);

  private final Map<String, TaskSpec> known = new HashMap<>();
  /** Per task, the registration it is at: a replaced adapter is a new generation (result cache keys). */
  private final Map<String, Long> generations = new HashMap<>();
  private long lastGeneration;
  private final Set<String> pinned;
  private final int maxResident;
  // Access order: the first entry is the least recently used.
  private final LinkedHashMap<String, Resident> resident = new LinkedHashMap<>(16, 0.75f, true);
  private final List<Resident> draining = new ArrayList<>();

  public TaskRegistry(Collection<TaskSpec> tasks, Set<String> pinned, int maxResident) {
    tasks.forEach(t -> {
      known.put(t.name(), t);
      generations.put(t.name(), ++lastGeneration);
    });
    this.pinned = Set.copyOf(pinned);
    this.maxResident = maxResident;
  }

  /** A task in use: its spec and its loaded adapter ({@code null} for the base weights). */
  public static final class Resident {
    private final TaskSpec spec;
    private final OrtLoraAdapter adapter;
    private final long generation;
    private int users;
    private boolean retired;

    Resident(TaskSpec spec, OrtLoraAdapter adapter, long generation) {
      this.spec = spec;
      this.adapter = adapter;
      this.generation = generation;
    }

    /** The task's {@link TaskRegistry#generation} this adapter was loaded at. */
    public long generation() {
      return generation;
    }

    public TaskSpec spec() {
      return spec;
    }

    public OrtLoraAdapter adapter() {
      return adapter;
    }
  }

  public synchronized Set<String> names() {
    return new TreeSet<>(known.keySet());
  }

  public synchronized boolean isKnown(String task) {
    return known.containsKey(task);
  }

  /**
   * A number that changes whenever {@code task} is registered anew (another adapter under the
   * same name); -1 for an unknown task.
   */
  public synchronized long generation(String task) {
    return generations.getOrDefault(task, -1L);
  }

  public synchronized Set<String> residentNames() {
    return new TreeSet<>(resident.keySet());
  }

  /** Adds or replaces a task; a replaced adapter retires once its in-flight events are done. */
  public synchronized void register(TaskSpec spec) {
    known.put(spec.name(), spec);
    generations.put(spec.name(), ++lastGeneration);
    retire(resident.remove(spec.name()));
    LOG.info("event=task_registered task={} adapter={}", spec.name(), spec.adapter());
  }

  /** Forgets a task: new events of it are UNKNOWN_TASK; in-flight ones finish first. */
  public synchronized boolean unregister(String task) {
    if (known.remove(task) == null) {
      return false;
    }
    generations.remove(task);
    retire(resident.remove(task));
    LOG.info("event=task_unregistered task={}", task);
    return true;
  }

  /**
   * Marks one more event of {@code task} in flight, loading its adapter if it is not resident.
   * Returns null when the task is unknown.
   */
  public synchronized Resident acquire(String task) throws OrtException {
    TaskSpec spec = known.get(task);
    if (spec == null) {
      return null;
    }
    Resident r = resident.get(task);
    if (r == null) {
      OrtLoraAdapter adapter = spec.adapter() == null ? null : load(spec.adapter());
      r = new Resident(spec, adapter, generations.get(task));
      resident.put(task, r);
    }
    r.users++; // before evicting, so the adapter being acquired is never the one evicted
    evictBeyondCapacity();
    return r;
  }

  private static OrtLoraAdapter load(Path file) throws OrtException {
    try {
      return OrtLoraAdapter.create(AdapterFiles.read(file));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read adapter " + file + ": " + e.getMessage(), e);
    }
  }

  public synchronized void release(Resident r) {
    r.users--;
    if (r.retired && r.users == 0) {
      close(r);
      draining.remove(r);
    }
  }

  /** Closes least recently used idle, unpinned adapters while over capacity (busy ones stay). */
  private void evictBeyondCapacity() {
    var it = resident.entrySet().iterator();
    while (resident.size() > maxResident && it.hasNext()) {
      var e = it.next();
      if (e.getValue().users == 0 && !pinned.contains(e.getKey())) {
        it.remove();
        close(e.getValue());
        LOG.debug("event=adapter_evicted task={}", e.getKey());
      }
    }
  }

  private void retire(Resident r) {
    if (r == null) {
      return;
    }
    r.retired = true;
    if (r.users == 0) {
      close(r);
    } else {
      draining.add(r);
    }
  }

  private static void close(Resident r) {
    if (r.adapter != null) {
      r.adapter.close();
    }
  }

  @Override
  public synchronized void close() {
    resident.values().forEach(TaskRegistry::close);
    draining.forEach(TaskRegistry::close);
    resident.clear();
    draining.clear();
  }
}
