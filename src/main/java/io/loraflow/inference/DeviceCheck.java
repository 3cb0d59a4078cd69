package io.loraflow.inference;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;

/**
 * {@code loraflow device}: opens a model package as the service would, prints the device the
 * session chose, then bare ONNX Runtime images/s at a few batch sizes. deploy/gpu-check.sh runs
 * it with the CUDA build.
 */
public final class DeviceCheck {
  private DeviceCheck() {
  }

  public static int run(Path modelDir, String device, int seconds) throws Exception {
    ModelPackage model = ModelPackage.load(modelDir);
    int[] sizes = {1, 8, 32};
    InferenceSession opened;
    try {
      opened = InferenceSession.open(model, device, 0, sizes);
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage()); // inference.device=cuda and why CUDA does not work here
      return 1;
    }
    try (InferenceSession session = opened) {
      System.out.printf("device: %s (asked: %s), model %s %s, input %dx%dx%d%n", session.device(), device,
          model.name(), model.version(), model.channels(), model.height(), model.width());
      for (int n : sizes) {
        Buffer batch = session.allocate(n);
        for (int i = 0; i < batch.capacity(); i++) {
          if (batch instanceof FloatBuffer floats) {
            floats.put(i, (float) Math.sin(i));
          } else {
            ((ByteBuffer) batch).put(i, (byte) (i * 31));
          }
        }
        long end = System.nanoTime() + seconds * 1_000_000_000L / sizes.length;
        long images = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
          session.run(batch, n);
          images += n;
        }
        System.out.printf("batch %2d: %.1f images/s%n", n, images / ((System.nanoTime() - start) / 1e9));
      }
    }
    return 0;
  }
}
