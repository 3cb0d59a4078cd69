package io.loraflow.release;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/release/ReleaseSbom.java, run as {@code mvn package} runs it (a single-file program), on
 * a small SBOM, a shaded jar, a dependency jar in a Maven repository layout and a model package.
 */
class ReleaseSbomTest {
  private static final byte[] NATIVE = "\u007fELF native bytes".getBytes(StandardCharsets.UTF_8);
  private static final byte[] GRAPH = "onnx graph bytes".getBytes(StandardCharsets.UTF_8);

  @TempDir
  static Path classes;
  @TempDir
  Path tmp;
  Path bom;
  Path jar;
  Path dependency;

  @BeforeEach
  void inputs() throws IOException {
    dependency = tmp.resolve("m2/org/example/native-lib/1.0/native-lib-1.0.jar");
    zip(dependency, Map.of(
        "natives/linux-x64/libfoo.so", NATIVE,
        "natives/win-x64/foo.dll", NATIVE, // filtered out of the shaded jar: not listed
        "META-INF/NOTICE", bytes("native-lib\nCopyright 2026 Example"),
        "org/example/License.class", bytes("not a licence text")));
    jar = tmp.resolve("loraflow.jar");
    zip(jar, Map.of(
        "natives/linux-x64/libfoo.so", NATIVE,
        "io/loraflow/build.properties", bytes("version=9.9.9\ncommit=abc123\ndirty=false\n")));
    write(tmp.resolve("models/m1/manifest.json"), new JsonObject().put("name", "m1-model").put("version", "2.0")
        .put("model", "model.onnx").put("license", "Apache-2.0").put("training_data", new JsonArray()
            .add(new JsonObject().put("name", "Some-Data").put("license", "MIT").put("url", "https://data.example"))));
    Files.write(tmp.resolve("models/m1/model.onnx"), GRAPH);
    write(tmp.resolve("extras.json"), new JsonObject()
        .put("licenseCorrections", new JsonArray().add(new JsonObject().put("purlPrefix", "pkg:maven/org.example/")
            .put("license", "BSD-3-Clause").put("why", "the POM's 'BSD' is the 3-clause text")))
        .put("hostLibraries", new JsonArray().add(new JsonObject().put("name", "libbar").put("packages", "libbar1")
            .put("license", "BSD-2-Clause AND Zlib").put("url", "https://bar.example").put("loadedBy", "Bar"))));
    bom = tmp.resolve("loraflow.cdx.json");
    write(bom, new JsonObject()
        .put("bomFormat", "CycloneDX").put("specVersion", "1.6")
        .put("metadata", new JsonObject().put("component", new JsonObject().put("type", "application")
            .put("name", "loraflow").put("version", "9.9.9").put("licenses", licence("Apache-2.0"))))
        .put("components", new JsonArray().add(component("native-lib", "BSD-4-Clause"))));
  }

  @Test
  void addsNativesHostLibrariesModelsAndDataReproducibly() throws Exception {
    Path again = tmp.resolve("again.cdx.json");
    Files.copy(bom, again);
    assertEquals(0, run(again).exit);
    byte[] firstReport = Files.readAllBytes(tmp.resolve("report.md"));
    assertEquals(0, run(bom).exit);
    assertArrayEquals(Files.readAllBytes(again), Files.readAllBytes(bom), "same inputs, same SBOM bytes");
    assertArrayEquals(firstReport, Files.readAllBytes(tmp.resolve("report.md")), "same inputs, same report");
    JsonObject out = new JsonObject(Files.readString(bom));
    JsonArray components = out.getJsonArray("components");

    JsonObject lib = components.getJsonObject(0);
    assertEquals("BSD-3-Clause", lib.getJsonArray("licenses").getJsonObject(0).getJsonObject("license").getString("id"),
        "corrected licence");
    JsonArray natives = lib.getJsonArray("components");
    assertEquals(1, natives.size(), "only the native that the shaded jar kept: " + natives.encode());
    JsonObject so = natives.getJsonObject(0);
    assertEquals("libfoo.so", so.getString("name"));
    assertEquals(sha256(NATIVE), so.getJsonArray("hashes").getJsonObject(0).getString("content"));
    assertEquals("natives/linux-x64/libfoo.so", property(so, "loraflow:path"));

    JsonObject host = byName(components, "libbar");
    assertEquals("optional", host.getString("scope"));
    assertEquals("BSD-2-Clause AND Zlib", host.getJsonArray("licenses").getJsonObject(0).getString("expression"));

    JsonObject model = byName(components, "m1-model");
    assertEquals("machine-learning-model", model.getString("type"));
    assertEquals(sha256(GRAPH), model.getJsonArray("components").getJsonObject(0).getJsonArray("hashes")
        .getJsonObject(0).getString("content"));
    JsonObject data = byName(components, "Some-Data");
    assertEquals("data", data.getString("type"));
    assertEquals(data.getString("bom-ref"), model.getJsonObject("modelCard").getJsonObject("modelParameters")
        .getJsonArray("datasets").getJsonObject(0).getString("ref"));

    JsonObject subject = out.getJsonObject("metadata").getJsonObject("component");
    assertEquals("abc123", property(subject, "loraflow:commit"));
    assertEquals(sha256(Files.readAllBytes(jar)), property(subject, "loraflow:jar.sha256"));

    String report = Files.readString(tmp.resolve("report.md"));
    assertTrue(report.contains("| org.example:native-lib | 1.0 | BSD-3-Clause |"), report);
    assertTrue(report.contains("| `natives/linux-x64/libfoo.so` | org.example:native-lib | BSD-3-Clause | "
        + sha256(NATIVE) + " |"), report);
    assertTrue(report.contains("| libbar | libbar1 | BSD-2-Clause AND Zlib | Bar |"), report);
    assertTrue(report.contains("| m1-model | 2.0 | Apache-2.0 | `models/m1` | Some-Data |"), report);
    assertTrue(report.contains("| Some-Data | MIT | https://data.example |"), report);
    String notices = Files.readString(tmp.resolve("notices.txt"));
    assertTrue(notices.contains("org.example:native-lib 1.0: META-INF/NOTICE\n"), notices);
    assertTrue(notices.contains("Copyright 2026 Example"), notices);
    assertFalse(notices.contains("not a licence text"), "a class named License is code, not a licence text");
  }

  @Test
  void anSbomTheBuildDidNotRewriteIsRemovedNotCompletedTwice() throws Exception {
    assertEquals(0, run(bom).exit);
    // An offline build: the plugin skipped, the last build's completed SBOM is still there.
    Result r = run(bom);
    assertEquals(0, r.exit, "the jar still builds");
    assertTrue(r.output.contains("WARNING: cyclonedx-maven-plugin wrote no SBOM"), r.output);
    for (String stale : List.of("loraflow.cdx.json", "report.md", "notices.txt")) {
      assertFalse(Files.exists(tmp.resolve(stale)), stale + " would describe an older jar");
    }
  }

  @Test
  void aComponentWithoutALicenceFailsTheBuildNamingIt() throws Exception {
    JsonObject b = new JsonObject(Files.readString(bom));
    b.getJsonArray("components").add(component("mystery", null).put("group", "org.other")
        .put("purl", "pkg:maven/org.other/mystery@1.0?type=jar"));
    write(bom, b);
    Result r = run(bom);
    assertEquals(1, r.exit);
    assertTrue(r.output.contains("no licence declared for org.other:mystery"), r.output);
    assertTrue(r.output.contains("sbom-extras.json"), "says where to fix it: " + r.output);
  }

  @Test
  void aModelWithoutALicenceFailsTheBuildNamingIt() throws Exception {
    write(tmp.resolve("models/m1/manifest.json"), new JsonObject().put("name", "m1-model").put("version", "2.0"));
    Result r = run(bom);
    assertEquals(1, r.exit);
    assertTrue(r.output.contains("models/m1/manifest.json has no \"license\""), r.output);
  }

  private record Result(int exit, String output) {
  }

  /** Compiled once here; pom.xml runs the source file directly, which compiles it on every run. */
  @BeforeAll
  static void compile() throws IOException {
    int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
        "-cp", System.getProperty("java.class.path"), Path.of("tools/release/ReleaseSbom.java").toString());
    assertEquals(0, rc, "tools/release/ReleaseSbom.java does not compile");
  }

  /** As pom.xml runs it: on the project's class path (Vert.x's JSON), plus the dependency jar. */
  private Result run(Path bomFile) throws Exception {
    String classpath = String.join(File.pathSeparator, classes.toString(), System.getProperty("java.class.path"),
        dependency.toString());
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, "ReleaseSbom",
        bomFile.toString(), jar.toString(), tmp.resolve("models").toString(), tmp.resolve("extras.json").toString(),
        tmp.resolve("report.md").toString(), tmp.resolve("notices.txt").toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), output);
  }

  private static JsonObject component(String name, String licence) {
    JsonObject c = new JsonObject().put("type", "library").put("bom-ref", "pkg:maven/org.example/" + name + "@1.0")
        .put("group", "org.example").put("name", name).put("version", "1.0")
        .put("purl", "pkg:maven/org.example/" + name + "@1.0?type=jar");
    return licence == null ? c : c.put("licenses", licence(licence));
  }

  private static JsonArray licence(String id) {
    return new JsonArray().add(new JsonObject().put("license", new JsonObject().put("id", id)));
  }

  private static JsonObject byName(JsonArray components, String name) {
    for (Object o : components) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError(name + " not in " + components.encode());
  }

  private static String property(JsonObject c, String name) {
    for (Object o : c.getJsonArray("properties", new JsonArray())) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return ((JsonObject) o).getString("value");
      }
    }
    throw new AssertionError(name + " missing in " + c.encode());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static void write(Path file, JsonObject json) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, json.encodePrettily());
  }

  private static void zip(Path file, Map<String, byte[]> entries) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : new LinkedHashMap<>(entries).entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
  }
}
