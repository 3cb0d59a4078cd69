// Attention fusion benchmark (issue 9): the same model exported with plain ONNX attention and with
// ONNX Runtime's contrib com.microsoft.Attention, run side by side with ORT Java on the CPU under
// the service's session options (InferenceSession.options: ALL_OPT, intra-op threads, log level
// ERROR). Run via bench/fusion/run.sh; usage:
//   java -cp ORT_JAR FusionBench.java [--rounds R] [--seconds S] [--threads T] [--batches 1,8]
//       [--dump DIR] LABEL PLAIN_PKG FUSED_PKG [LABEL PLAIN_PKG FUSED_PKG ...]
// Per batch size and round (after one warm-up run each) the two sessions run in alternating
// ~0.25 s slices, about S seconds each in all; the table shows the median images/s and the median
// of the per-round fused/plain ratios (with their range). Parity: both on the plain package's parity/inputs.f32, vs each other and vs the PyTorch
// logits. --dump DIR writes each session's optimized graph (setOptimizedModelFilePath) to
// DIR/LABEL-{plain,fused}.onnx, for the node-type counts in run.sh.
import ai.onnxruntime.*;

import java.nio.*;
import java.nio.file.*;
import java.util.*;

public class FusionBench {
  static final double SLICE_S = 0.25;

  static float[] readF32(Path p) throws Exception {
    ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
    float[] f = new float[bb.remaining() / 4];
    bb.asFloatBuffer().get(f);
    return f;
  }

  static OrtSession open(OrtEnvironment env, Path pkg, int threads, Path dump) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();   // as InferenceSession.options
    so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    so.setIntraOpNumThreads(threads);
    if (dump != null) so.setOptimizedModelFilePath(dump.toString());
    return env.createSession(pkg.resolve("model.onnx").toString(), so);
  }

  /** Runs images [start, start+b) (cycling through the n inputs); returns logits [b][k]. */
  static float[][] run(OrtEnvironment env, OrtSession s, float[] in, int n, int per, long[] shp, int b)
      throws OrtException {
    FloatBuffer fb = ByteBuffer.allocateDirect(b * per * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < b; i++) fb.put(in, (i % n) * per, per);
    fb.rewind();
    long[] s2 = shp.clone();
    s2[0] = b;
    try (OnnxTensor t = OnnxTensor.createTensor(env, fb, s2);
         OrtSession.Result r = s.run(Map.of("pixel_values", t))) {
      return (float[][]) r.get(0).getValue();
    }
  }

  /** Runs b-image batches for >= seconds (at least once); returns {images, elapsed seconds}. */
  static double[] slice(OrtEnvironment env, OrtSession s, float[] in, int n, int per, long[] shp, int b,
                        double seconds) throws OrtException {
    long t0 = System.nanoTime();
    int runs = 0;
    double el;
    do {
      run(env, s, in, n, per, shp, b);
      runs++;
      el = (System.nanoTime() - t0) / 1e9;
    } while (el < seconds);
    return new double[]{runs * b, el};
  }

  static double median(List<Double> v) {
    List<Double> c = new ArrayList<>(v);
    Collections.sort(c);
    int m = c.size() / 2;
    return c.size() % 2 == 1 ? c.get(m) : (c.get(m - 1) + c.get(m)) / 2;
  }

  static double maxAbs(float[][] a, float[] ref) {
    double w = 0;
    int k = a[0].length;
    for (int i = 0; i < a.length; i++)
      for (int j = 0; j < k; j++) w = Math.max(w, Math.abs(a[i][j] - ref[i * k + j]));
    return w;
  }

  static float[] flat(float[][] a) {
    float[] f = new float[a.length * a[0].length];
    for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, f, i * a[0].length, a[0].length);
    return f;
  }

  public static void main(String[] args) throws Exception {
    int rounds = 5, threads = 2;
    double seconds = 3;
    int[] batches = {1, 8};
    Path dump = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--dump" -> dump = Paths.get(args[++i]);
        default -> rest.add(args[i]);
      }
    }
    if (rest.isEmpty() || rest.size() % 3 != 0) {
      System.err.println("usage: FusionBench [options] LABEL PLAIN_PKG FUSED_PKG ...");
      System.exit(2);
    }
    if (dump != null) Files.createDirectories(dump);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    StringBuilder table = new StringBuilder();
    table.append(String.format("ORT %s CPU, %d intra-op threads, ALL_OPT; median of %d rounds of alternating 0.25 s slices, ~%.0f s per model per round%n%n",
        env.getVersion(), threads, rounds, seconds));
    table.append("| model | batch | plain img/s | fused img/s | fused/plain | max abs dlogit fused-plain | vs PyTorch plain / fused |\n");
    table.append("|---|---:|---:|---:|---:|---:|---|\n");
    for (int m = 0; m < rest.size(); m += 3) {
      String label = rest.get(m);
      Path plainPkg = Paths.get(rest.get(m + 1)), fusedPkg = Paths.get(rest.get(m + 2));
      String meta = Files.readString(plainPkg.resolve("parity/meta.json"));
      String shpTxt = meta.replaceAll("(?s).*\"input_shape\"\\s*:\\s*\\[([^\\]]*)\\].*", "$1");
      long[] shp = Arrays.stream(shpTxt.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
      float[] in = readF32(plainPkg.resolve("parity/inputs.f32"));
      float[] torchRef = readF32(plainPkg.resolve("parity/logits.f32"));
      int n = (int) shp[0], per = in.length / n;
      if (!Arrays.equals(in, readF32(fusedPkg.resolve("parity/inputs.f32"))))
        System.err.println("warning: " + label + ": the two packages have different parity inputs");
      try (OrtSession plain = open(env, plainPkg, threads, dump == null ? null : dump.resolve(label + "-plain.onnx"));
           OrtSession fused = open(env, fusedPkg, threads, dump == null ? null : dump.resolve(label + "-fused.onnx"))) {
        float[][] lp = run(env, plain, in, n, per, shp, n);
        float[][] lf = run(env, fused, in, n, per, shp, n);
        double dPF = maxAbs(lf, flat(lp)), dPT = maxAbs(lp, torchRef), dFT = maxAbs(lf, torchRef);
        for (int b : batches) {
          List<Double> rp = new ArrayList<>(), rf = new ArrayList<>(), ratio = new ArrayList<>();
          run(env, plain, in, n, per, shp, b);                 // warm-up
          run(env, fused, in, n, per, shp, b);
          for (int r = 0; r < rounds; r++) {
            // one round = short slices of each model, alternating (ABBA...), so a change in the
            // machine's background load hits both about equally
            double[] tp = new double[2], tf = new double[2];
            for (int i = 0; i * 2 * SLICE_S < seconds; i++) {
              boolean plainFirst = (i + r) % 2 == 0;
              for (int j = 0; j < 2; j++) {
                boolean isPlain = (j == 0) == plainFirst;
                double[] x = slice(env, isPlain ? plain : fused, in, n, per, shp, b, SLICE_S);
                double[] acc = isPlain ? tp : tf;
                acc[0] += x[0];
                acc[1] += x[1];
              }
            }
            double p = tp[0] / tp[1], f = tf[0] / tf[1];
            rp.add(p);
            rf.add(f);
            ratio.add(f / p);
            System.err.printf("%s batch %d round %d: plain %.2f fused %.2f img/s (x%.3f)%n", label, b, r + 1, p, f, f / p);
          }
          Collections.sort(ratio);
          table.append(String.format("| %s | %d | %.2f | %.2f | **%.3f** (rounds %.3f-%.3f) | %.2e | %.2e / %.2e |%n",
              label, b, median(rp), median(rf), median(ratio), ratio.get(0), ratio.get(ratio.size() - 1),
              dPF, dPT, dFT));
        }
      }
    }
    System.out.print(table);
  }
}
