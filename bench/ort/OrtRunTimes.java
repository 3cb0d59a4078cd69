import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoraAdapter;
import ai.onnxruntime.OrtSession;
import io.loraflow.inference.AdapterFiles;
import io.loraflow.inference.InferenceSession;
import io.loraflow.inference.ModelPackage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * One ORT run's wall time on its own, for comparison with the service's inference stage: the
 * bundled model with its fashion adapter and the service's session options, per batch size,
 * back to back; then batch 23 with an 8 ms pause between runs (caches go cold, the vCPU may halt)
 * and with a thread streaming through 64 MB on the other core (the broker and the other stages
 * share the caches in the benchmark). Best of 3 rounds of 50 runs.
 *
 *   bench/run.sh --smoke >/dev/null   # builds target/bench/classpath.jar (or any bench/run.sh call)
 *   java -cp target/bench/classpath.jar bench/ort/OrtRunTimes.java [threads]
 */
public class OrtRunTimes {
  static volatile boolean stop;

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    ModelPackage m = ModelPackage.load(Path.of("models/fashion-mnist"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession s = env.createSession(m.servedGraph().toString(), InferenceSession.options(threads, false));
    OrtLoraAdapter adapter = OrtLoraAdapter.create(
        AdapterFiles.read(Path.of("models/fashion-mnist/adapters/fashion.onnx_adapter")));
    int sf = m.sampleValues();
    FloatBuffer in = ByteBuffer.allocateDirect(32 * sf * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    Random r = new Random(1);
    for (int i = 0; i < 32 * sf; i++) {
      in.put(i, r.nextFloat() * 2 - 1);
    }
    for (int n : new int[] {1, 4, 8, 16, 23, 32}) {
      System.out.printf("batch %2d back to back: %.2f ms%n", n, best(env, s, m, adapter, in, n, 0));
    }
    System.out.printf("batch 23, 8 ms pause between runs: %.2f ms%n", best(env, s, m, adapter, in, 23, 8));
    Thread thrash = new Thread(() -> {
      long[] big = new long[8 << 20];
      long x = 0;
      while (!stop) {
        for (int i = 0; i < big.length; i += 8) {
          big[i] += x++;
        }
      }
    });
    thrash.setDaemon(true);
    thrash.start();
    System.out.printf("batch 23, 8 ms pause, 64 MB streamed on the other core: %.2f ms%n",
        best(env, s, m, adapter, in, 23, 8));
    stop = true;
  }

  private static double best(OrtEnvironment env, OrtSession s, ModelPackage m, OrtLoraAdapter adapter,
      FloatBuffer in, int n, long pauseMs) throws Exception {
    long[] shape = {n, m.channels(), m.height(), m.width()};
    FloatBuffer view = in.duplicate().position(0).limit(n * m.sampleValues()).slice();
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long total = 0;
      for (int k = 0; k < 50; k++) {
        long t0 = System.nanoTime();
        try (OnnxTensor t = OnnxTensor.createTensor(env, view, shape);
            OrtSession.RunOptions ro = new OrtSession.RunOptions()) {
          ro.addActiveLoraAdapter(adapter);
          try (OrtSession.Result res = s.run(Map.of(m.inputName(), t), ro)) {
            res.get(0).getValue();
          }
        }
        total += System.nanoTime() - t0;
        if (pauseMs > 0) {
          Thread.sleep(pauseMs);
        }
      }
      best = Math.min(best, total / 1e6 / 50);
    }
    return best;
  }
}
