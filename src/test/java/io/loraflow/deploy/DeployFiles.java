package io.loraflow.deploy;

import io.loraflow.config.ConfigException;
import io.loraflow.config.ConfigLoader;
import io.loraflow.config.LoraflowConfig;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the deployment files under {@code deploy/} and finds every loraflow setting they set:
 * {@code LORAFLOW_*} variables (Dockerfile ENV/ARG, compose and Kubernetes env, and any mention in
 * any file, since the service ignores a variable that is not a setting with no more than a
 * warning), keys of
 * loraflow config files ({@code loraflow*.properties|json}, standalone or in a ConfigMap) and
 * {@code --flags} after {@code serve}. {@link #problems()} lists each one that is not a real config
 * key or Kafka pass-through, or whose literal value the config rejects, naming file and key.
 */
final class DeployFiles {
  static final String ENV_PREFIX = "LORAFLOW_";
  private static final long MAX_FILE_BYTES = 1 << 20;
  private static final Pattern ENV_TOKEN = Pattern.compile("\\bLORAFLOW_[A-Z0-9_]*[A-Z0-9]\\b");

  /** One setting found in a file; {@code value} is null when not a literal (valueFrom, ${...}). */
  record Setting(Path file, String origin, String key, String value) {
  }

  /** A parsed YAML document and the file it came from. */
  record Doc(Path file, Map<String, Object> body) {
  }

  final Path root;
  final Path deployDir;
  final List<Setting> settings = new ArrayList<>();
  final List<Doc> docs = new ArrayList<>();
  final Map<Path, String> texts = new LinkedHashMap<>();
  private final Set<String> problems = new LinkedHashSet<>();

  private DeployFiles(Path root) {
    this.root = root;
    this.deployDir = root.resolve("deploy");
  }

  /** Scans {@code root/deploy} (and {@code root/docs/deploy.md} for variable names). */
  static DeployFiles scan(Path root) {
    DeployFiles d = new DeployFiles(root);
    d.scanAll();
    return d;
  }

  List<String> problems() {
    return List.copyOf(problems);
  }

  void problem(Path file, String message) {
    problems.add(rel(file) + ": " + message);
  }

  String rel(Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }

  // ---------------------------------------------------------------- scanning

  private void scanAll() {
    List<Path> files;
    try (Stream<Path> s = Files.walk(deployDir)) {
      // Skip hidden folders (e.g. deploy/local/.kafka: a broker's jars and data) and big files.
      files = s.filter(Files::isRegularFile)
          .filter(f -> {
            Path dir = deployDir.relativize(f).getParent();
            for (int i = 0; dir != null && i < dir.getNameCount(); i++) {
              if (dir.getName(i).toString().startsWith(".")) {
                return false;
              }
            }
            return true;
          })
          .filter(f -> size(f) <= MAX_FILE_BYTES)
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (files.isEmpty()) {
      problem(deployDir, "no files");
    }
    for (Path f : files) {
      String text = read(f);
      if (text == null) {
        continue; // binary
      }
      texts.put(f, text);
      String name = f.getFileName().toString();
      try {
        if (name.startsWith("Dockerfile") && !name.endsWith(".dockerignore")) {
          scanDockerfile(f, text);
        } else if (name.endsWith(".yaml") || name.endsWith(".yml")) {
          scanYaml(f, text);
        } else if (isLoraflowConfigName(name)) {
          configFile(f, "config file", name, text);
        }
      } catch (RuntimeException e) {
        problem(f, "cannot parse: " + e.getMessage());
      }
      scanEnvTokens(f, text);
    }
    Path guide = root.resolve("docs/deploy.md");
    if (Files.isRegularFile(guide)) {
      String text = read(guide);
      texts.put(guide, text);
      scanEnvTokens(guide, text);
    }
    settings.forEach(this::check);
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path f) {
    try {
      byte[] b = Files.readAllBytes(f);
      for (byte x : b) {
        if (x == 0) {
          return null;
        }
      }
      return new String(b, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isLoraflowConfigName(String name) {
    return name.startsWith("loraflow") && (name.endsWith(".properties") || name.endsWith(".json"));
  }

  /** Any LORAFLOW_X in any file: a mistyped one would be ignored by the service. */
  private void scanEnvTokens(Path f, String text) {
    Matcher m = ENV_TOKEN.matcher(text);
    Set<String> seen = new LinkedHashSet<>();
    while (m.find()) {
      seen.add(m.group());
    }
    for (String env : seen) {
      boolean parsed = settings.stream()
          .anyMatch(s -> s.file().equals(f) && s.origin().endsWith(" " + env));
      if (!env.equals(ENV_PREFIX + "CONFIG") && !parsed) {
        settings.add(new Setting(f, "variable " + env, envToKey(env), null));
      }
    }
  }

  static String envToKey(String env) {
    return env.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private void env(Path f, String where, String name, Object value) {
    if (name.startsWith(ENV_PREFIX) && !name.equals(ENV_PREFIX + "CONFIG")) {
      String v = value == null ? null : String.valueOf(value);
      if (v != null && (v.contains("${") || v.contains("$("))) {
        v = null; // interpolated: only the name can be checked
      }
      settings.add(new Setting(f, where + " " + name, envToKey(name), v));
    }
  }

  /** Settings from the arguments that follow {@code serve} (all of them when serve is implied). */
  void flags(Path f, String where, List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        problem(f, where + ": argument '" + a + "' after serve is not a --flag");
        continue;
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (name.equals("print-config")) {
        continue;
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        problem(f, where + ": flag --" + name + " needs a value");
        continue;
      }
      if (name.equals("config")) {
        continue;
      }
      String key = name.startsWith("kafka.") ? name : name.replace('-', '.');
      settings.add(new Setting(f, where + " flag --" + name, key, value));
    }
  }

  /** Parses a loraflow config file (properties or JSON, as ConfigLoader does) into settings. */
  Map<String, String> configFile(Path f, String origin, String name, String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (name.endsWith(".json")) {
      flatten("", map(yaml().load(text)), out); // JSON is YAML
    } else {
      Properties p = new Properties();
      try {
        p.load(new StringReader(text));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
    }
    out.forEach((k, v) -> settings.add(new Setting(f, origin, k, v)));
    return out;
  }

  /** As ConfigLoader: nested objects become dotted keys, arrays comma-separated lists. */
  private static void flatten(String prefix, Map<String, Object> json, Map<String, String> out) {
    json.forEach((k, v) -> {
      String key = prefix + k;
      if (v instanceof Map<?, ?> nested) {
        flatten(key + ".", map(nested), out);
      } else if (v instanceof List<?> arr) {
        List<String> items = new ArrayList<>();
        arr.forEach(x -> items.add(String.valueOf(x)));
        out.put(key, String.join(",", items));
      } else {
        out.put(key, String.valueOf(v));
      }
    });
  }

  static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  // ---- Dockerfiles

  /** Dockerfile instructions, continuation lines joined, comments dropped. */
  static List<String[]> instructions(String text) {
    List<String[]> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String t = line.strip();
      if (t.startsWith("#") || (t.isEmpty() && cur.length() == 0)) {
        continue;
      }
      if (t.endsWith("\\")) {
        cur.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      cur.append(t);
      String ins = cur.toString().strip();
      cur.setLength(0);
      if (!ins.isEmpty()) {
        int sp = ins.indexOf(' ');
        out.add(sp < 0 ? new String[] {ins.toUpperCase(Locale.ROOT), ""}
            : new String[] {ins.substring(0, sp).toUpperCase(Locale.ROOT), ins.substring(sp + 1).strip()});
      }
    }
    return out;
  }

  /** {@code ENV A=1 B="x y"} or {@code ENV A 1} → name → value. */
  static Map<String, String> envPairs(String args) {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> words = shellWords(args);
    if (!words.isEmpty() && !words.get(0).contains("=")) {
      out.put(words.get(0), args.strip().substring(words.get(0).length()).strip());
      return out;
    }
    for (String w : words) {
      int eq = w.indexOf('=');
      out.put(eq < 0 ? w : w.substring(0, eq), eq < 0 ? null : w.substring(eq + 1));
    }
    return out;
  }

  static List<String> shellWords(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    char quote = 0;
    boolean any = false;
    for (char c : s.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          w.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        any = true;
      } else if (Character.isWhitespace(c)) {
        if (any || w.length() > 0) {
          out.add(w.toString());
        }
        w.setLength(0);
        any = false;
      } else {
        w.append(c);
      }
    }
    if (any || w.length() > 0) {
      out.add(w.toString());
    }
    return out;
  }

  /** Exec form {@code ["a", "b"]} or shell form of ENTRYPOINT/CMD, as words. */
  static List<String> commandWords(String args) {
    String a = args.strip();
    if (a.startsWith("[")) {
      return list(yaml().load(a)).stream().map(String::valueOf).toList(); // a JSON array
    }
    return shellWords(a);
  }

  static List<String> afterServe(List<String> words) {
    int i = words.indexOf("serve");
    return i < 0 ? null : words.subList(i + 1, words.size());
  }

  private void scanDockerfile(Path f, String text) {
    for (String[] ins : instructions(text)) {
      switch (ins[0]) {
        case "ENV" -> envPairs(ins[1]).forEach((k, v) -> env(f, "ENV", k, v));
        case "ARG" -> envPairs(ins[1]).forEach((k, v) -> env(f, "ARG", k, v));
        case "ENTRYPOINT", "CMD" -> {
          List<String> rest = afterServe(commandWords(ins[1]));
          if (rest != null) {
            flags(f, ins[0], rest);
          }
        }
        default -> { }
      }
    }
  }

  // ---- YAML: compose files, Kubernetes manifests, Prometheus config

  @SuppressWarnings("unchecked")
  private void scanYaml(Path f, String text) {
    for (Object o : yaml().loadAll(text)) {
      if (!(o instanceof Map<?, ?> m)) {
        continue;
      }
      Doc doc = new Doc(f, (Map<String, Object>) m);
      docs.add(doc);
      if (m.get("services") instanceof Map<?, ?> services) {
        services.forEach((name, svc) -> scanComposeService(f, String.valueOf(name), map(svc)));
      } else if (m.containsKey("kind")) {
        scanK8s(f, doc.body());
      }
    }
  }

  static boolean isLoraflowComposeService(Map<String, Object> svc) {
    return svc.containsKey("build") || String.valueOf(svc.get("image")).contains("loraflow");
  }

  private void scanComposeService(Path f, String name, Map<String, Object> svc) {
    composeEnv(svc).forEach((k, v) -> env(f, "service " + name + " env", k, v));
    if (isLoraflowComposeService(svc) && svc.get("command") != null) {
      // The image's ENTRYPOINT ends with `serve`; command words follow it.
      List<String> words = commandOf(svc.get("command"));
      List<String> rest = afterServe(words);
      flags(f, "service " + name + " command", rest != null ? rest : words);
    }
  }

  static Map<String, Object> composeEnv(Map<String, Object> svc) {
    Map<String, Object> out = new LinkedHashMap<>();
    Object e = svc.get("environment");
    if (e instanceof Map<?, ?> m) {
      m.forEach((k, v) -> out.put(String.valueOf(k), v));
    } else if (e instanceof List<?> l) {
      for (Object item : l) {
        String s = String.valueOf(item);
        int eq = s.indexOf('=');
        out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
      }
    }
    return out;
  }

  static List<String> commandOf(Object c) {
    if (c == null) {
      return List.of();
    }
    if (c instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return shellWords(String.valueOf(c));
  }

  /** The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod). */
  static Map<String, Object> podSpec(Map<String, Object> doc) {
    String kind = String.valueOf(doc.get("kind"));
    return switch (kind) {
      case "Pod" -> map(doc.get("spec"));
      case "CronJob" -> map(at(doc, "spec", "jobTemplate", "spec", "template", "spec"));
      case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job" ->
          map(at(doc, "spec", "template", "spec"));
      default -> null;
    };
  }

  static List<Map<String, Object>> containers(Map<String, Object> podSpec) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (podSpec != null) {
      for (String k : List.of("initContainers", "containers")) {
        list(podSpec.get(k)).forEach(c -> out.add(map(c)));
      }
    }
    return out;
  }

  static boolean isLoraflowContainer(Map<String, Object> c) {
    return "loraflow".equals(c.get("name")) || String.valueOf(c.get("image")).contains("loraflow");
  }

  /** The words after {@code serve}: command + args when command is set, else args alone. */
  static List<String> serveArgs(Map<String, Object> c) {
    List<String> args = commandOf(c.get("args"));
    if (c.get("command") == null) {
      return args;
    }
    List<String> all = new ArrayList<>(commandOf(c.get("command")));
    all.addAll(args);
    return afterServe(all);
  }

  private void scanK8s(Path f, Map<String, Object> doc) {
    String kind = String.valueOf(doc.get("kind"));
    String name = String.valueOf(at(doc, "metadata", "name"));
    if (kind.equals("ConfigMap")) {
      map(doc.get("data")).forEach((k, v) -> {
        if (isLoraflowConfigName(k)) {
          configFile(f, "ConfigMap " + name + " " + k, k, String.valueOf(v));
        }
      });
      return;
    }
    for (Map<String, Object> c : containers(podSpec(doc))) {
      String where = kind + " " + name + " container " + c.get("name");
      for (Object e : list(c.get("env"))) {
        Map<String, Object> ev = map(e);
        env(f, where + " env", String.valueOf(ev.get("name")),
            ev.containsKey("value") ? ev.get("value") : null);
      }
      if (isLoraflowContainer(c)) {
        List<String> rest = serveArgs(c);
        if (rest != null) {
          flags(f, where, rest);
        }
      }
    }
  }

  // ---------------------------------------------------------------- checking

  private void check(Setting s) {
    try {
      ConfigLoader.checkKey(s.key());
    } catch (ConfigException e) {
      problem(s.file(), "unknown loraflow setting '" + s.key() + "' (" + s.origin() + "): " + e.getMessage());
      return;
    }
    if (s.value() != null && LoraflowConfig.keys().containsKey(s.key())) {
      try {
        // The value alone: combinations (group.type=share with ordering) are the effective config's.
        LoraflowConfig.keys().get(s.key()).parse(s.value());
      } catch (ConfigException e) {
        problem(s.file(), s.origin() + ": " + e.getMessage());
      }
    }
  }

  // ---------------------------------------------------------------- YAML helpers

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    if (o instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), v));
      return out;
    }
    return new LinkedHashMap<>();
  }

  static List<Object> list(Object o) {
    return o instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
  }

  static Object at(Object o, String... path) {
    Object cur = o;
    for (String p : path) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(p);
    }
    return cur;
  }

  static String str(Object o) {
    return o == null ? null : String.valueOf(o);
  }
}
