package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -Pcuda} build (ONNX Runtime's GPU jar, the CUDA libraries in target/lib/cuda); skipped
 * in the CPU build. Every bundled CUDA library loads; ORT's CUDA provider finds all its libraries
 * but the driver's; and a CUDA session either works (a GPU) or fails in the driver's own words.
 * deploy/cuda-check.sh runs it on a machine without a GPU with the driver's libcuda.so.1 and
 * {@code LD_BIND_NOW=1} (every symbol resolved at load): the failure is then CUDA's "no
 * CUDA-capable device".
 */
class CudaSessionTest {
  private static final String NATIVES = "ai/onnxruntime/native/linux-x64/";

  private static final Path MODEL = Path.of("models/fashion-mnist");

  @TempDir
  Path dir;

  private Path extract(String name) throws Exception {
    Path file = dir.resolve(name);
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(NATIVES + name)) {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
    }
    return file;
  }

  @Test
  void theBundledLibrariesResolveTheProviderAndOnlyTheDriverOrDeviceCanBeMissing() throws Exception {
    assumeTrue(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA), "CPU build: no CUDA provider");
    Path folder = CudaLibraries.bundledFolder()
        .orElseThrow(() -> new AssertionError("mvn -Pcuda fills target/lib/cuda"));
    CudaLibraries.load(folder); // throws naming the file that would not load, and why
    Optional<String> driver = CudaDriver.problem();
    System.out.println("driver: " + driver.orElse("runs CUDA 12 on a device"));
    boolean noDriver = driver.isPresent() && driver.get().contains("libcuda.so.1 not found");
    if (noDriver) {
      // The provider's dependencies resolve in order and the driver's library comes last, so
      // failing on it means every bundled one was found (the load stops before any code runs).
      Path provider = extract("libonnxruntime_providers_cuda.so");
      UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> System.load(provider.toString()));
      assertTrue(e.getMessage().contains("libcuda.so.1: cannot open shared object file"), e.getMessage());
      System.out.println("ORT CUDA provider: every library found but libcuda.so.1");
    } else if (driver.isPresent()) {
      // Past the driver check, as ORT loads it (with LD_BIND_NOW=1 every symbol is resolved
      // then): the provider loads and CUDA itself refuses.
      OrtException e = assertThrows(OrtException.class, () -> OrtEnvironment.getEnvironment()
          .createSession(MODEL.resolve("model.onnx").toString(), InferenceSession.options(1, true)).close());
      String m = e.getMessage();
      System.out.println("ORT CUDA provider: " + m.substring(Math.max(0, m.indexOf("CUDA failure"))));
      assertFalse(e.getMessage().contains("Failed to load shared library"), e.getMessage());
      assertTrue(e.getMessage().contains("CUDA failure"), e.getMessage());
      // inference.cuda.options reach the provider: a known one is taken, an unknown one named.
      OrtException known = assertThrows(OrtException.class, () -> OrtEnvironment.getEnvironment()
          .createSession(MODEL.resolve("model.onnx").toString(),
              InferenceSession.options(1, true, Map.of("cudnn_conv_algo_search", "HEURISTIC"))).close());
      assertTrue(known.getMessage().contains("CUDA failure"), known.getMessage());
      OrtException unknown = assertThrows(OrtException.class,
          () -> InferenceSession.options(1, true, Map.of("no_such_option", "1")).close());
      System.out.println("unknown CUDA option: " + unknown.getMessage());
      assertTrue(unknown.getMessage().contains("no_such_option"), unknown.getMessage());
    }

    ModelPackage model = ModelPackage.load(MODEL);
    if (driver.isPresent()) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> InferenceSession.open(model, "cuda", 1, 1));
      System.out.println("inference.device=cuda: " + e.getMessage());
      assertTrue(e.getMessage().contains(driver.get()), e.getMessage());
      try (InferenceSession auto = InferenceSession.open(model, "auto", 1, 1)) {
        assertEquals(Device.CPU, auto.device(), "auto falls back");
      }
    } else {
      try (InferenceSession cuda = InferenceSession.open(model, "cuda", 1, 1)) {
        assertEquals(Device.CUDA, cuda.device());
      }
    }
  }
}
