import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Completes the CycloneDX SBOM that cyclonedx-maven-plugin wrote and renders the third-party
 * licence report and notices from it. {@code mvn package} runs it (pom.xml, exec-maven-plugin)
 * as a single-file program on the project's runtime classpath, whose jars it reads:
 *
 * <pre>
 * java -cp RUNTIME_CLASSPATH tools/release/ReleaseSbom.java \
 *     BOM JAR MODELS_DIR EXTRAS REPORT_MD NOTICES_TXT
 * </pre>
 *
 * <p>It adds what the Maven model cannot see: the native libraries inside the jar (each a
 * sub-component of the dependency whose jar brought it, with the SHA-256 of the bytes shipped);
 * the native libraries loaded from the host through JNA (EXTRAS {@code hostLibraries}, scope
 * optional: the service falls back to ImageIO); the model packages under MODELS_DIR with the
 * SHA-256 of their graphs and adapters and the data sets they were trained on (their
 * manifest's {@code license} and {@code training_data}); licence corrections where a POM's
 * licence name maps to the wrong SPDX id (EXTRAS {@code licenseCorrections}); the jar's SHA-256
 * and commit on the BOM's subject. It fails when a component declares no licence, naming it.
 * Same inputs, same bytes out. Without a fresh BOM (the plugin skips in offline mode) it deletes
 * the stale outputs and warns: the jar still builds, with nothing claiming to describe it.
 */
public final class ReleaseSbom {
  private static final Pattern NATIVE = Pattern.compile(".*\\.(so(\\.[0-9]+)*|dll|dylib|jnilib|a)");
  private static final Pattern LEGAL = Pattern.compile(
      "(?i)([^/]*-)?(LICEN[CS]E|NOTICE|COPYING|ThirdPartyNotices)([-.][^/]*)?(\\.txt|\\.md)?");

  private final JsonObject bom;
  private final ZipFile jar;
  private final Map<String, List<String>> legalTexts = new LinkedHashMap<>();

  private ReleaseSbom(JsonObject bom, ZipFile jar) {
    this.bom = bom;
    this.jar = jar;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: ReleaseSbom BOM JAR MODELS_DIR EXTRAS REPORT_MD NOTICES_TXT");
      System.exit(2);
    }
    Path bomFile = Path.of(args[0]);
    List<Path> outputs = List.of(bomFile, Path.of(args[4]), Path.of(args[5]));
    if (!Files.exists(bomFile) || completed(new JsonObject(Files.readString(bomFile)))) {
      // cyclonedx-maven-plugin skips in offline mode (-o): what is there describes an older build.
      for (Path stale : outputs) {
        Files.deleteIfExists(stale);
      }
      System.err.println("ReleaseSbom: WARNING: cyclonedx-maven-plugin wrote no SBOM (it skips with -o, offline):"
          + " no SBOM, licence report or notices for this jar; build online for a release");
      return;
    }
    Path models = Path.of(args[2]);
    if (!Files.isDirectory(models)) {
      fail(models + " is not a directory: the SBOM would leave out the bundled models");
    }
    JsonObject extras = new JsonObject(Files.readString(Path.of(args[3])));
    try (ZipFile jar = new ZipFile(args[1])) {
      ReleaseSbom sbom = new ReleaseSbom(new JsonObject(Files.readString(bomFile)), jar);
      sbom.correctLicences(extras.getJsonArray("licenseCorrections", new JsonArray()));
      sbom.requireLicences();
      sbom.addJarContents(classpathJars());
      sbom.addHostLibraries(extras.getJsonArray("hostLibraries", new JsonArray()));
      sbom.addModels(models);
      sbom.describeJar(Path.of(args[1]));
      Files.writeString(bomFile, sbom.bom.encodePrettily() + "\n");
      Files.writeString(Path.of(args[4]), sbom.report(extras));
      Files.writeString(Path.of(args[5]), sbom.notices());
    }
  }

  /** True for a BOM this program already completed: the plugin did not write it this build. */
  private static boolean completed(JsonObject bom) {
    return !propertyOf(bom.getJsonObject("metadata").getJsonObject("component"), "loraflow:jar.sha256").isEmpty();
  }

  private static void fail(String message) {
    System.err.println("ReleaseSbom: " + message);
    System.exit(1);
  }

  private JsonArray components() {
    return bom.getJsonArray("components");
  }

  private List<JsonObject> componentList() {
    List<JsonObject> list = new ArrayList<>();
    components().forEach(c -> list.add((JsonObject) c));
    return list;
  }

  private void correctLicences(JsonArray corrections) {
    for (JsonObject c : componentList()) {
      for (Object o : corrections) {
        JsonObject fix = (JsonObject) o;
        if (c.getString("purl", "").startsWith(fix.getString("purlPrefix"))) {
          c.put("licenses", licences(fix.getString("license")));
          property(c, "loraflow:license-corrected", fix.getString("why"));
        }
      }
    }
  }

  private void requireLicences() {
    List<String> missing = componentList().stream().filter(c -> licenceText(c).isEmpty())
        .map(ReleaseSbom::coordinates).toList();
    if (!missing.isEmpty()) {
      fail("no licence declared for " + String.join(", ", missing)
          + ": check each project's licence and add a licenseCorrections entry to tools/release/sbom-extras.json");
    }
  }

  /** Native libraries in the jar, under the dependency that brought each; licence and notice texts. */
  private void addJarContents(List<Path> classpath) throws IOException {
    for (JsonObject c : componentList()) {
      String dir = File.separator + c.getString("group").replace('.', File.separatorChar) + File.separator
          + c.getString("name") + File.separator + c.getString("version") + File.separator;
      for (Path dependency : classpath) {
        String p = dependency.toString();
        if (p.contains(dir) && dependency.getFileName().toString()
            .startsWith(c.getString("name") + "-" + c.getString("version"))) {
          readDependency(c, dependency);
        }
      }
    }
  }

  private void readDependency(JsonObject component, Path dependency) throws IOException {
    JsonArray natives = new JsonArray();
    try (ZipFile dep = new ZipFile(dependency.toFile())) {
      for (ZipEntry e : dep.stream().sorted((a, b) -> a.getName().compareTo(b.getName())).toList()) {
        String fileName = e.getName().substring(e.getName().lastIndexOf('/') + 1);
        if (e.isDirectory()) {
          continue;
        }
        if (NATIVE.matcher(fileName).matches() && jar.getEntry(e.getName()) != null) {
          natives.add(nativeComponent(component, e.getName(), fileName));
        } else if (LEGAL.matcher(fileName).matches() && !fileName.endsWith(".class") && e.getSize() < 1 << 20) {
          try (InputStream in = dep.getInputStream(e)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            legalTexts.computeIfAbsent(text, t -> new ArrayList<>())
                .add(coordinates(component) + " " + component.getString("version") + ": " + e.getName());
          }
        }
      }
    }
    if (!natives.isEmpty()) {
      component.put("components", natives);
    }
  }

  private JsonObject nativeComponent(JsonObject parent, String path, String fileName) throws IOException {
    JsonObject n = new JsonObject()
        .put("type", "library")
        .put("bom-ref", parent.getString("bom-ref") + "#" + path)
        .put("name", fileName)
        .put("version", parent.getString("version"))
        .put("description", "Native library inside the " + coordinates(parent) + " jar, shipped in loraflow.jar")
        .put("hashes", new JsonArray().add(sha256(jarEntry(path))))
        .put("licenses", parent.getJsonArray("licenses").copy());
    property(n, "loraflow:path", path);
    return n;
  }

  private byte[] jarEntry(String path) throws IOException {
    try (InputStream in = jar.getInputStream(jar.getEntry(path))) {
      return in.readAllBytes();
    }
  }

  private void addHostLibraries(JsonArray libraries) {
    for (Object o : libraries) {
      JsonObject lib = (JsonObject) o;
      JsonObject c = new JsonObject()
          .put("type", "library")
          .put("bom-ref", "host:" + lib.getString("name"))
          .put("name", lib.getString("name"))
          .put("description", "Loaded from the host through JNA when installed (version: the host's); "
              + "without it the service decodes with ImageIO")
          .put("scope", "optional")
          .put("licenses", licences(lib.getString("license")))
          .put("externalReferences", new JsonArray().add(new JsonObject().put("type", "website")
              .put("url", lib.getString("url"))));
      property(c, "loraflow:packages", lib.getString("packages"));
      property(c, "loraflow:loaded-by", lib.getString("loadedBy"));
      components().add(c);
    }
  }

  /** Each models/NAME/manifest.json: the model, its graphs and adapters, its training data. */
  private void addModels(Path models) throws IOException {
    List<Path> dirs;
    try (Stream<Path> s = Files.list(models)) {
      dirs = s.filter(d -> Files.isRegularFile(d.resolve("manifest.json"))).sorted().toList();
    }
    Map<String, JsonObject> datasets = new TreeMap<>();
    for (Path dir : dirs) {
      JsonObject m = new JsonObject(Files.readString(dir.resolve("manifest.json")));
      String where = models.getFileName() + "/" + dir.getFileName();
      if (m.getString("license") == null) {
        fail(where + "/manifest.json has no \"license\" (the model weights' SPDX licence id)");
      }
      String ref = "model:" + m.getString("name") + "@" + m.getString("version");
      JsonArray files = new JsonArray();
      for (String f : modelFiles(m)) {
        byte[] bytes = Files.readAllBytes(dir.resolve(f));
        JsonObject file = new JsonObject().put("type", "file").put("bom-ref", ref + "#" + f).put("name", f)
            .put("hashes", new JsonArray().add(sha256(bytes)));
        files.add(file);
      }
      JsonArray trainedOn = new JsonArray();
      for (Object o : m.getJsonArray("training_data", new JsonArray())) {
        JsonObject d = (JsonObject) o;
        String dataRef = "data:" + d.getString("name");
        datasets.putIfAbsent(dataRef, new JsonObject().put("type", "data").put("bom-ref", dataRef)
            .put("name", d.getString("name")).put("licenses", licences(d.getString("license")))
            .put("externalReferences", new JsonArray().add(new JsonObject().put("type", "website")
                .put("url", d.getString("url")))));
        trainedOn.add(new JsonObject().put("ref", dataRef));
      }
      JsonObject model = new JsonObject()
          .put("type", "machine-learning-model")
          .put("bom-ref", ref)
          .put("name", m.getString("name"))
          .put("version", m.getString("version"))
          .put("description", "Model package " + where + ": in the container images under /app/" + where
              + ", not in loraflow.jar")
          .put("licenses", licences(m.getString("license")))
          .put("modelCard", new JsonObject().put("modelParameters", new JsonObject()
              .put("task", "classification").put("datasets", trainedOn)))
          .put("components", files);
      property(model, "loraflow:path", where);
      components().add(model);
    }
    datasets.values().forEach(components()::add);
  }

  /** The graphs and adapters a manifest names, sorted. */
  private static TreeSet<String> modelFiles(JsonObject m) {
    TreeSet<String> files = new TreeSet<>();
    files.add(m.getString("model", "model.onnx"));
    if (m.getString("lora_base_model") != null) {
      files.add(m.getString("lora_base_model"));
    }
    JsonObject tasks = m.getJsonObject("tasks", new JsonObject());
    for (String t : tasks.fieldNames()) {
      String adapter = tasks.getJsonObject(t).getString("adapter");
      if (adapter != null) {
        files.add(adapter);
      }
    }
    return files;
  }

  /** The jar's SHA-256 and the commit it was built from, on the BOM's subject. */
  private void describeJar(Path jarFile) throws IOException {
    JsonObject subject = bom.getJsonObject("metadata").getJsonObject("component");
    property(subject, "loraflow:jar", jarFile.getFileName().toString());
    property(subject, "loraflow:jar.sha256", sha256(Files.readAllBytes(jarFile)).getString("content"));
    Properties build = new Properties();
    ZipEntry info = jar.getEntry("io/loraflow/build.properties");
    if (info != null) {
      try (InputStream in = jar.getInputStream(info)) {
        build.load(in);
      }
    }
    String commit = build.getProperty("commit", "unknown");
    property(subject, "loraflow:commit", "true".equals(build.getProperty("dirty")) && !"unknown".equals(commit)
        ? commit + "-dirty" : commit);
  }

  private String report(JsonObject extras) {
    JsonObject subject = bom.getJsonObject("metadata").getJsonObject("component");
    StringBuilder r = new StringBuilder();
    r.append("# Third-party licences: loraflow ").append(subject.getString("version")).append(" (commit ")
        .append(propertyOf(subject, "loraflow:commit")).append(")\n\n")
        .append("Generated by `mvn package` from the CycloneDX SBOM `loraflow.cdx.json` ")
        .append("(tools/release/ReleaseSbom.java); do not edit. loraflow itself is ")
        .append(licenceText(subject)).append(" (LICENSE, NOTICE). The licence and notice texts that ")
        .append("the bundled jars carry are in `loraflow-third-party-notices.txt`.\n\n");

    List<JsonObject> maven = componentList().stream().filter(c -> c.getString("purl", "").startsWith("pkg:maven/"))
        .sorted((a, b) -> coordinates(a).compareTo(coordinates(b))).toList();
    Map<String, Integer> byLicence = new TreeMap<>();
    maven.forEach(c -> byLicence.merge(licenceText(c), 1, Integer::sum));
    r.append("## Summary\n\n| Licence (as declared) | Java libraries |\n|---|---|\n");
    byLicence.forEach((l, n) -> r.append("| ").append(l).append(" | ").append(n).append(" |\n"));
    r.append("\nWhere a library declares several licences (Vert.x: Apache-2.0 and EPL; JNA: LGPL-2.1+ and ")
        .append("Apache-2.0) its project offers them as alternatives.\n\n");

    r.append("## Java libraries in loraflow.jar (").append(maven.size()).append(")\n\n")
        .append("| Library | Version | Licence | Project |\n|---|---|---|---|\n");
    for (JsonObject c : maven) {
      r.append("| ").append(coordinates(c)).append(" | ").append(c.getString("version")).append(" | ")
          .append(licenceText(c)).append(" | ").append(website(c)).append(" |\n");
    }

    r.append("\n## Native libraries inside loraflow.jar\n\n")
        .append("| File | From | Licence | SHA-256 |\n|---|---|---|---|\n");
    for (JsonObject c : maven) {
      for (Object o : c.getJsonArray("components", new JsonArray())) {
        JsonObject n = (JsonObject) o;
        r.append("| `").append(propertyOf(n, "loraflow:path")).append("` | ").append(coordinates(c)).append(" | ")
            .append(licenceText(n)).append(" | ").append(n.getJsonArray("hashes").getJsonObject(0)
                .getString("content")).append(" |\n");
      }
    }

    r.append("\n## Native libraries loaded from the host (optional)\n\n")
        .append("Not in the jar: the container images install them from the distribution's packages ")
        .append("(their versions are in the image's package database). Without them the service ")
        .append("decodes with ImageIO.\n\n| Library | Packages | Licence | Loaded by |\n|---|---|---|---|\n");
    for (JsonObject c : ofType("library")) {
      if (c.getString("bom-ref").startsWith("host:")) {
        r.append("| ").append(c.getString("name")).append(" | ").append(propertyOf(c, "loraflow:packages"))
            .append(" | ").append(licenceText(c)).append(" | ").append(propertyOf(c, "loraflow:loaded-by"))
            .append(" |\n");
      }
    }

    r.append("\n## Models and their training data\n\n")
        .append("Model packages are in the container images under `/app/models`, not in the jar.\n\n")
        .append("| Model | Version | Licence | Package | Trained on |\n|---|---|---|---|---|\n");
    for (JsonObject m : ofType("machine-learning-model")) {
      List<String> data = new ArrayList<>();
      m.getJsonObject("modelCard").getJsonObject("modelParameters").getJsonArray("datasets")
          .forEach(d -> data.add(((JsonObject) d).getString("ref").substring("data:".length())));
      r.append("| ").append(m.getString("name")).append(" | ").append(m.getString("version")).append(" | ")
          .append(licenceText(m)).append(" | `").append(propertyOf(m, "loraflow:path")).append("` | ")
          .append(String.join("; ", data)).append(" |\n");
    }
    r.append("\n| Data set | Licence | Source |\n|---|---|---|\n");
    for (JsonObject d : ofType("data")) {
      r.append("| ").append(d.getString("name")).append(" | ").append(licenceText(d)).append(" | ")
          .append(website(d)).append(" |\n");
    }

    r.append("\n## Licence corrections\n\n");
    for (Object o : extras.getJsonArray("licenseCorrections", new JsonArray())) {
      JsonObject fix = (JsonObject) o;
      r.append("- `").append(fix.getString("purlPrefix")).append("*` → ").append(fix.getString("license"))
          .append(": ").append(fix.getString("why")).append("\n");
    }
    return r.toString();
  }

  /** Every licence and notice file of the bundled jars, verbatim, each text once. */
  private String notices() {
    StringBuilder n = new StringBuilder("Licence and notice files of the libraries bundled in loraflow.jar,\n"
        + "verbatim, each distinct text once (generated by mvn package, tools/release/ReleaseSbom.java).\n");
    legalTexts.forEach((text, sources) -> {
      n.append("\n").append("=".repeat(78)).append("\n");
      sources.forEach(s -> n.append(s).append("\n"));
      n.append("=".repeat(78)).append("\n\n").append(text).append("\n");
    });
    return n.toString();
  }

  private List<JsonObject> ofType(String type) {
    return componentList().stream().filter(c -> type.equals(c.getString("type"))).toList();
  }

  private static String coordinates(JsonObject c) {
    return c.getString("group") == null ? c.getString("name") : c.getString("group") + ":" + c.getString("name");
  }

  private static String licenceText(JsonObject c) {
    List<String> names = new ArrayList<>();
    for (Object o : c.getJsonArray("licenses", new JsonArray())) {
      JsonObject l = (JsonObject) o;
      JsonObject licence = l.getJsonObject("license");
      String name = l.getString("expression") != null ? l.getString("expression")
          : licence == null ? null : licence.getString("id", licence.getString("name"));
      if (name != null && !name.isBlank()) {
        names.add(name);
      }
    }
    return String.join(", ", names);
  }

  private static String website(JsonObject c) {
    for (String type : List.of("website", "vcs", "distribution")) {
      for (Object o : c.getJsonArray("externalReferences", new JsonArray())) {
        JsonObject ref = (JsonObject) o;
        if (type.equals(ref.getString("type"))) {
          return ref.getString("url");
        }
      }
    }
    return c.getString("purl", "");
  }

  /** An SPDX id as a licence, or an expression (AND, OR, WITH) as one. */
  private static JsonArray licences(String spdx) {
    return new JsonArray().add(spdx.contains(" ") ? new JsonObject().put("expression", spdx)
        : new JsonObject().put("license", new JsonObject().put("id", spdx)));
  }

  private static void property(JsonObject c, String name, String value) {
    JsonArray props = c.getJsonArray("properties");
    if (props == null) {
      props = new JsonArray();
      c.put("properties", props);
    }
    props.add(new JsonObject().put("name", name).put("value", value));
  }

  private static String propertyOf(JsonObject c, String name) {
    for (Object o : c.getJsonArray("properties", new JsonArray())) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return ((JsonObject) o).getString("value");
      }
    }
    return "";
  }

  private static JsonObject sha256(byte[] bytes) {
    try {
      return new JsonObject().put("alg", "SHA-256")
          .put("content", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Path> classpathJars() {
    return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> p.endsWith(".jar")).map(Path::of).toList();
  }
}
