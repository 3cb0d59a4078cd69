package io.loraflow.image;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** Loads an optional native decoder library through JNA. */
final class NativeLibs {
  private NativeLibs() {
  }

  /**
   * The first of {@code names} that loads, or null when none does or native decoders are switched
   * off ({@link ImageDecoder#NATIVE_PROPERTY}); the caller then decodes with ImageIO.
   */
  static <T extends Library> T load(Class<T> type, String... names) {
    if (!enabled()) {
      return null;
    }
    for (String name : names) {
      try {
        return Native.load(name, type);
      } catch (UnsatisfiedLinkError e) {
        // try the next name
      }
    }
    return null;
  }

  /**
   * Binds {@code type}'s static {@code native} methods (JNA direct mapping) to the first of
   * {@code names} that has them all; false when none does or native decoders are switched off.
   */
  static boolean register(Class<?> type, String... names) {
    if (!enabled()) {
      return false;
    }
    for (String name : names) {
      try {
        Native.register(type, name);
        return true;
      } catch (UnsatisfiedLinkError e) {
        // try the next name
      }
    }
    return false;
  }

  private static boolean enabled() {
    return Boolean.parseBoolean(System.getProperty(ImageDecoder.NATIVE_PROPERTY, "true"));
  }
}
