package io.loraflow.inference;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.Optional;

/**
 * The NVIDIA driver as CUDA sees it ({@code libcuda.so.1}, through JNA), asked before ONNX
 * Runtime loads its CUDA provider: ORT reports a missing driver or device only as "Failed to load
 * shared library" (the reason goes to its own log), while the driver names it.
 */
final class CudaDriver {
  /**
   * CUDA 12.0: with CUDA's minor-version compatibility the bundled CUDA 12 runtime runs on any
   * driver for 12.0 or later (Linux 525.60.13+; every CUDA 13 driver).
   */
  static final int MIN_CUDA_VERSION = 12000;

  /** The few driver API calls needed, CUDA's C names. */
  interface Api extends Library {
    int cuDriverGetVersion(IntByReference version);

    int cuInit(int flags);

    int cuDeviceGetCount(IntByReference count);

    int cuGetErrorName(int error, PointerByReference name);

    int cuGetErrorString(int error, PointerByReference text);
  }

  private CudaDriver() {
  }

  /** Empty when the driver runs CUDA 12 on at least one device; else why not, in CUDA's words. */
  static Optional<String> problem() {
    Api api;
    try {
      api = Native.load("libcuda.so.1", Api.class);
    } catch (UnsatisfiedLinkError e) {
      // JNA's message lists every path it tried, over many lines: the soname says it all.
      return Optional.of("the NVIDIA driver is not installed: libcuda.so.1 not found (nvidia-smi shows the driver)");
    }
    IntByReference version = new IntByReference();
    int rc = api.cuDriverGetVersion(version);
    if (rc != 0) {
      return Optional.of("CUDA: cuDriverGetVersion: " + error(api, rc));
    }
    if (version.getValue() < MIN_CUDA_VERSION) {
      return Optional.of("the NVIDIA driver supports CUDA " + cudaVersion(version.getValue())
          + "; the CUDA 12 runtime needs a driver for 12.0 or later (525.60.13+)");
    }
    rc = api.cuInit(0);
    if (rc != 0) {
      return Optional.of("CUDA: cuInit: " + error(api, rc) + " (driver for CUDA " + cudaVersion(version.getValue()) + ")");
    }
    IntByReference count = new IntByReference();
    rc = api.cuDeviceGetCount(count);
    if (rc != 0 || count.getValue() == 0) {
      return Optional.of("CUDA: " + (rc != 0 ? "cuDeviceGetCount: " + error(api, rc) : "no device"));
    }
    return Optional.empty();
  }

  /** 12040 → "12.4". */
  static String cudaVersion(int v) {
    return v / 1000 + "." + v % 1000 / 10;
  }

  private static String error(Api api, int rc) {
    PointerByReference name = new PointerByReference();
    PointerByReference text = new PointerByReference();
    String n = api.cuGetErrorName(rc, name) == 0 ? string(name.getValue()) : "CUDA error " + rc;
    String t = api.cuGetErrorString(rc, text) == 0 ? string(text.getValue()) : "";
    return t.isEmpty() ? n : n + ": " + t;
  }

  private static String string(Pointer p) {
    return p == null ? "" : p.getString(0);
  }
}
