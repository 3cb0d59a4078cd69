package io.loraflow.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's 1/5/15-minute load average, printed beside every measurement of the bench programs. */
public final class LoadAverage {
  private LoadAverage() {
  }

  /** The three figures joined by {@code separator}, or "?" where /proc/loadavg cannot be read. */
  public static String read(String separator) {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + separator + f[1] + separator + f[2];
    } catch (Exception e) {
      return "?";
    }
  }
}
