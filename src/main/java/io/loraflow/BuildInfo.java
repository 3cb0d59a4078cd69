package io.loraflow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Which build is running: the project version and the git commit it was built from, as Maven
 * filtered them into {@code io/loraflow/build.properties}. {@code --version}, the health probes,
 * the {@code loraflow_build_info} metric and every result report them.
 *
 * <p>The commit is {@code unknown} for a build without a .git (a source tarball, a Docker build
 * context) unless {@code -Dgit.commit.id.full=SHA} named it, and ends in {@code -dirty} when the
 * working tree had uncommitted changes.
 */
public record BuildInfo(String version, String commit) {
  private static final String UNKNOWN = "unknown";
  private static final BuildInfo CURRENT = load();

  /** This jar's build. */
  public static BuildInfo current() {
    return CURRENT;
  }

  /** From the keys {@code version}, {@code commit} and {@code dirty}; unfiltered values are unknown. */
  static BuildInfo of(Properties p) {
    String commit = value(p, "commit");
    boolean dirty = Boolean.parseBoolean(p.getProperty("dirty")) && !commit.equals(UNKNOWN);
    return new BuildInfo(value(p, "version"), dirty ? commit + "-dirty" : commit);
  }

  /** One line for {@code --version}. */
  public String describe() {
    return "loraflow " + version + " (commit " + commit + ")";
  }

  private static String value(Properties p, String key) {
    String v = p.getProperty(key, "").trim();
    // "${...}": the file was not filtered (run from sources without Maven).
    return v.isEmpty() || v.startsWith("${") ? UNKNOWN : v;
  }

  private static BuildInfo load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading io/loraflow/build.properties", e);
    }
    return of(p);
  }
}
