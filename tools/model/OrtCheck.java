// Stand-alone check of an exported package with ONNX Runtime Java (not part of the service).
// Run:  tools/model/ortcheck.sh models/fashion-mnist
// It runs model.onnx on parity/inputs.f32 and compares with parity/logits.f32; for each task in
// manifest.json "tasks" it loads the LoRA base graph + the task's .onnx_adapter and compares with
// that task's parity files; a dynamic batch is exercised with batch 1 and batch N.
import ai.onnxruntime.*;

import java.nio.*;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;

public class OrtCheck {
    static float[] readF32(Path p) throws Exception {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(f);
        return f;
    }

    static long[] shape(String metaJson) {
        Matcher m = Pattern.compile("\"input_shape\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(metaJson);
        if (!m.find()) throw new IllegalStateException("no input_shape");
        return Arrays.stream(m.group(1).split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    }

    static double check(OrtEnvironment env, OrtSession s, Path parity, OrtLoraAdapter adapter) throws Exception {
        String meta = Files.readString(parity.resolve("meta.json"));
        long[] shp = shape(meta);
        float[] in = readF32(parity.resolve("inputs.f32"));
        float[] ref = readF32(parity.resolve("logits.f32"));
        int n = (int) shp[0];
        int per = in.length / n;
        int k = ref.length / n;
        double worst = 0;
        int argmaxMismatch = 0;
        for (int batch : new int[]{1, n}) {
            for (int start = 0; start < n; start += batch) {
                int b = Math.min(batch, n - start);
                FloatBuffer fb = ByteBuffer.allocateDirect(b * per * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                fb.put(in, start * per, b * per).rewind();
                long[] s2 = shp.clone();
                s2[0] = b;
                try (OnnxTensor t = OnnxTensor.createTensor(env, fb, s2);
                     OrtSession.RunOptions ro = new OrtSession.RunOptions()) {
                    if (adapter != null) ro.addActiveLoraAdapter(adapter);
                    try (OrtSession.Result r = s.run(Map.of("pixel_values", t), ro)) {
                        float[][] out = (float[][]) r.get(0).getValue();
                        for (int i = 0; i < b; i++) {
                            if (out[i].length != k) throw new IllegalStateException("classes " + out[i].length + " != " + k);
                            int am = 0, rm = 0;
                            for (int j = 0; j < k; j++) {
                                worst = Math.max(worst, Math.abs(out[i][j] - ref[(start + i) * k + j]));
                                if (out[i][j] > out[i][am]) am = j;
                                if (ref[(start + i) * k + j] > ref[(start + i) * k + rm]) rm = j;
                            }
                            if (am != rm) argmaxMismatch++;
                        }
                    }
                }
            }
        }
        System.out.printf("  %s: %d inputs, %d classes, max |ort - torch| = %.3g, argmax mismatches %d%n",
                parity, n, k, worst, argmaxMismatch);
        return worst;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args[0]);
        double tol = args.length > 1 ? Double.parseDouble(args[1]) : 1e-4;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(2);
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        double worst = 0;
        String manifest = Files.readString(dir.resolve("manifest.json"));
        try (OrtSession s = env.createSession(dir.resolve("model.onnx").toString(), so)) {
            System.out.println(dir + "/model.onnx inputs " + s.getInputNames() + " outputs " + s.getOutputNames());
            worst = Math.max(worst, check(env, s, dir.resolve("parity"), null));
        }
        Matcher base = Pattern.compile("\"lora_base_model\"\\s*:\\s*\"([^\"]+)\"").matcher(manifest);
        if (base.find()) {
            try (OrtSession s = env.createSession(dir.resolve(base.group(1)).toString(), so)) {
                System.out.println(dir + "/" + base.group(1) + " inputs " + s.getInputNames()
                        + " overridable initializers " + s.getMetadata().getCustomMetadata().keySet());
                Matcher t = Pattern.compile("\"adapter\"\\s*:\\s*\"([^\"]+)\"[^}]*?\"parity\"\\s*:\\s*\"([^\"]+)\"").matcher(manifest);
                while (t.find()) {
                    try (OrtLoraAdapter a = OrtLoraAdapter.create(dir.resolve(t.group(1)).toString())) {
                        worst = Math.max(worst, check(env, s, dir.resolve(t.group(2)), a));
                    }
                }
                // no adapter: the defaults (rank-0 LoRA, foundation head) must reproduce model.onnx
                Path p0 = dir.resolve("parity");
                worst = Math.max(worst, check(env, s, p0, null));
            }
        }
        System.out.println(worst <= tol ? "ORTCHECK OK (max diff " + worst + ")" : "ORTCHECK FAILED (max diff " + worst + " > " + tol + ")");
        System.exit(worst <= tol ? 0 : 1);
    }
}
