package io.loraflow.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import io.loraflow.testkit.OnnxModels;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceSessionTest {
  @TempDir
  Path dir;

  @Test
  void batchRowsEqualSingleRuns() throws Exception {
    ModelPackage model = ModelPackage.load(OnnxModels.writePackage(dir.resolve("m"), "m", 32, 2));
    try (InferenceSession s = InferenceSession.open(model, "auto", 1, 1, 4)) {
      assertEquals(Device.CPU, s.device(), "no CUDA on the test machines");
      FloatBuffer batch = (FloatBuffer) s.allocate(4);
      for (int i = 0; i < batch.capacity(); i++) {
        batch.put(i, (float) Math.sin(i * 0.01));
      }
      float[][] all = s.run(batch, 4);
      assertEquals(4, all.length);
      assertEquals(OnnxModels.CLASSES, all[0].length);
      for (int row = 0; row < 4; row++) {
        FloatBuffer one = (FloatBuffer) s.allocate(1);
        for (int i = 0; i < model.sampleValues(); i++) {
          one.put(i, batch.get(row * model.sampleValues() + i));
        }
        float[] single = s.run(one, 1)[0];
        for (int k = 0; k < single.length; k++) {
          assertEquals(single[k], all[row][k], 1e-4);
        }
      }
    }
  }

  @Test
  void missingPackageSaysWhatToFix() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelPackage.load(dir.resolve("nowhere")));
    assertTrue(e.getMessage().contains("manifest.json not found"), e.getMessage());
  }

  @Test
  void anInputDtypeOtherThanFloat32OrUint8IsRefusedNamingTheField() throws Exception {
    Path pkg = OnnxModels.writePackage(dir.resolve("m3"), "m3", 8, 0);
    Path manifest = pkg.resolve("manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"float32\"", "\"float16\""));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelPackage.load(pkg));
    assertTrue(e.getMessage().contains("input.dtype must be float32 or uint8, not float16"), e.getMessage());
  }

  @Test
  void cudaOnAMachineWithoutItFailsClearly() throws Exception {
    ModelPackage model = ModelPackage.load(OnnxModels.writePackage(dir.resolve("m2"), "m2", 8, 0));
    Files.exists(model.modelFile());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> InferenceSession.open(model, "cuda", 1, 1));
    assertTrue(e.getMessage().contains("inference.device=cuda"), e.getMessage());
    // The CPU build has no CUDA provider; the -Pcuda build on these machines has no driver.
    String why = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA) ? "libcuda.so.1 not found"
        : "no CUDA provider (build with mvn -Pcuda package)";
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }
}
