package io.loraflow.config;

/** An invalid setting: the message names the key, the value and what is allowed. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String key, Object value, String allowed) {
    super("Invalid value '" + value + "' for setting '" + key + "': " + allowed);
  }
}
