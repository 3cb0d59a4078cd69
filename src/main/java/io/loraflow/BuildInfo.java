package io.loraflow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The build's version and git commit, from {@code /loraflow-build.properties} on the class path
 * (keys {@code version} and {@code commit}); {@code unknown} where the build wrote none.
 */
public final class BuildInfo {
  static final String RESOURCE = "/loraflow-build.properties";
  private static final String UNKNOWN = "unknown";
  private static final Properties PROPS = load();

  private BuildInfo() {
  }

  public static String version() {
    return value("version");
  }

  public static String commit() {
    return value("commit");
  }

  private static String value(String key) {
    String v = PROPS.getProperty(key, "").strip();
    // An unfiltered resource still says ${...}.
    return v.isEmpty() || v.startsWith("${") ? UNKNOWN : v;
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return p;
  }
}
