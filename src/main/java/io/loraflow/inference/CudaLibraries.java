package io.loraflow.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CUDA 12 libraries that ONNX Runtime's CUDA provider needs (the runtime, cuBLAS and
 * cuBLASLt, cuRAND, NVRTC, cuDNN 9), loaded from the folder that {@code mvn -Pcuda package}
 * fills beside the jar ({@code target/lib/cuda}, from Maven Central), so a machine with only the
 * NVIDIA driver can run on the GPU.
 *
 * <p>Why loading them first works: the provider library has no RUNPATH and names its
 * dependencies by soname ({@code libcudart.so.12}, …); the dynamic loader satisfies a soname from
 * the libraries already loaded in the process before it searches the disk, and cuDNN opens its
 * sub-libraries by soname the same way. So each is {@link System#load}ed, in dependency order,
 * before the session options add the CUDA provider. The driver itself ({@code libcuda.so.1})
 * is never shipped: it must match the kernel module and comes with the driver.
 *
 * <p>Without the folder (the CPU build, or the CUDA image, which installs CUDA the conventional
 * way) nothing is loaded and the system's libraries are used. Any thread; loading twice is
 * harmless (the loader keeps one copy per file).
 */
public final class CudaLibraries {
  /** Dependency order: each file's dependencies come before it (checked with readelf). */
  static final List<String> FILES = List.of(
      "libcudart.so.12",
      "libcublasLt.so.12",
      "libcublas.so.12",
      "libcurand.so.10",
      "libnvrtc.so.12",
      "libnvrtc-builtins.so.12.9",
      "libcudnn_graph.so.9",
      "libcudnn_engines_precompiled.so.9",
      "libcudnn_engines_runtime_compiled.so.9",
      "libcudnn_heuristic.so.9",
      "libcudnn_ops.so.9",
      "libcudnn_cnn.so.9",
      "libcudnn_adv.so.9",
      "libcudnn.so.9");

  private CudaLibraries() {
  }

  /**
   * Readies the process for a CUDA session: the ORT build must have the CUDA provider, the
   * bundled libraries, when there, must load, and the driver must run CUDA 12 on a device.
   *
   * @return empty when a CUDA session may be tried; else why not, naming what is missing
   */
  public static Optional<String> prepare() {
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      return Optional.of("this build's ONNX Runtime has no CUDA provider (build with mvn -Pcuda package)");
    }
    Optional<Path> folder = bundledFolder();
    if (folder.isPresent()) {
      try {
        load(folder.get());
      } catch (IllegalStateException e) {
        return Optional.of(e.getMessage());
      }
    }
    return CudaDriver.problem();
  }

  /**
   * Why creating or running a CUDA session failed once {@link #prepare} passed. ORT reports a
   * provider library that will not load only as "Failed to load shared library"; its own log line
   * before the exception names the file.
   */
  public static String explain(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    if (message.contains("Failed to load shared library")) {
      return "ONNX Runtime could not load its CUDA provider: a CUDA 12 or cuDNN 9 library is missing or too old "
          + "(ONNX Runtime's log line above names it; "
          + bundledFolder().map(f -> "bundled ones from " + f).orElse("no lib/cuda beside the jar: build with "
              + "mvn -Pcuda package, or install CUDA 12 and cuDNN 9") + "): " + message;
    }
    return "CUDA failed: " + message;
  }

  /** {@code lib/cuda} beside the jar (or beside {@code target/classes} in a Maven build), if there. */
  public static Optional<Path> bundledFolder() {
    try {
      Path code = Path.of(CudaLibraries.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path folder = code.getParent().resolve("lib").resolve("cuda");
      return Files.isDirectory(folder) ? Optional.of(folder) : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Loads every library of {@link #FILES} from {@code folder}, in order.
   *
   * @throws IllegalStateException naming the files missing from the folder, or the file that
   *     would not load and the loader's reason (e.g. a system library it needs)
   */
  public static void load(Path folder) {
    List<String> missing = new ArrayList<>();
    for (String file : FILES) {
      if (!Files.isRegularFile(folder.resolve(file))) {
        missing.add(file);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(folder + " lacks " + String.join(", ", missing)
          + " (rebuild with mvn -Pcuda package, which copies them there)");
    }
    for (String file : FILES) {
      try {
        System.load(folder.resolve(file).toAbsolutePath().toString());
      } catch (UnsatisfiedLinkError e) {
        throw new IllegalStateException("cannot load " + folder.resolve(file) + ": " + e.getMessage(), e);
      }
    }
  }
}
