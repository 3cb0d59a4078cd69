package io.loraflow.inference;

import java.util.Locale;

/**
 * What the model's input tensor holds (manifest {@code input.dtype}).
 *
 * <p>{@link #FLOAT32}: the normalised values, {@code (v / 255 - mean) / std}, computed by the
 * service. {@link #UINT8}: the 8-bit samples after resize and crop, in the manifest's channel
 * order; the graph normalises them itself (tools/model/variants.py), so a quarter of the bytes
 * go into every run.
 */
public enum InputType {
  FLOAT32(Float.BYTES), UINT8(1);

  private final int bytes;

  InputType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per value in the tensor. */
  public int bytes() {
    return bytes;
  }

  /** The manifest's spelling: {@code float32} or {@code uint8}. */
  public String manifestName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static InputType fromManifest(String dtype) {
    for (InputType t : values()) {
      if (t.manifestName().equals(dtype)) {
        return t;
      }
    }
    throw new IllegalArgumentException("input.dtype must be float32 or uint8, not " + dtype);
  }
}
