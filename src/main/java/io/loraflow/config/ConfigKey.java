package io.loraflow.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One setting: its name, type, default, validator and the operator's one-line description, kept
 * together as in Kafka's {@code ConfigDef}.
 */
public record ConfigKey(String name, Type type, Object defaultValue, Validator validator, String doc) {

  /**
   * The value {@code text} gives this setting, checked against its own rule; throws
   * {@link ConfigException} naming the key. Rules between settings are the config's.
   */
  public Object parse(String text) {
    Object v = type.parse(name, text);
    validator.ensureValid(name, v);
    return v;
  }

  /** The default as a flag, file or variable would give it ("" for an empty list). */
  public String defaultText() {
    return render(defaultValue);
  }

  static String render(Object v) {
    return v instanceof List<?> l ? String.join(",", l.stream().map(Object::toString).toList())
        : String.valueOf(v);
  }

  /** Value types; {@link #parse} turns the text of a file, env var or flag into one. */
  public enum Type {
    STRING, INT, LONG, LIST, BOOLEAN;

    Object parse(String key, String text) {
      String s = text.trim();
      try {
        switch (this) {
          case INT: return Integer.parseInt(s);
          case LONG: return Long.parseLong(s);
          case BOOLEAN:
            if (!s.equals("true") && !s.equals("false")) {
              throw new ConfigException(key, text, "expected true or false");
            }
            return Boolean.parseBoolean(s);
          case LIST:
            List<String> items = new ArrayList<>();
            for (String item : s.split(",")) {
              if (!item.isBlank()) {
                items.add(item.trim());
              }
            }
            return List.copyOf(items);
          default: return s;
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(key, text, "expected " + (this == INT ? "an integer" : "a long integer"));
      }
    }
  }

  /** Checks a parsed value; throws {@link ConfigException} naming the key. */
  @FunctionalInterface
  public interface Validator {
    void ensureValid(String key, Object value);

    static Validator any() {
      return (k, v) -> { };
    }

    static Validator atLeast(long min) {
      return (k, v) -> {
        if (((Number) v).longValue() < min) {
          throw new ConfigException(k, v, "must be at least " + min);
        }
      };
    }

    static Validator between(long min, long max) {
      return (k, v) -> {
        long n = ((Number) v).longValue();
        if (n < min || n > max) {
          throw new ConfigException(k, v, "must be between " + min + " and " + max);
        }
      };
    }

    static Validator in(String... allowed) {
      return (k, v) -> {
        if (!Arrays.asList(allowed).contains(v)) {
          throw new ConfigException(k, v, "must be one of " + String.join(", ", allowed));
        }
      };
    }

    /** A list whose every entry is {@code name=value} (name: letters, digits, underscores). */
    static Validator namedValues() {
      return (k, v) -> {
        for (Object entry : (List<?>) v) {
          if (!entry.toString().matches("[A-Za-z0-9_]+=.*")) {
            throw new ConfigException(k, v, "must be name=value entries, comma-separated (not '" + entry + "')");
          }
        }
      };
    }

    static Validator nonEmpty() {
      return (k, v) -> {
        if (v == null || v.toString().isBlank()) {
          throw new ConfigException(k, v, "must not be empty");
        }
      };
    }
  }
}
