package io.loraflow.inference;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoraAdapter;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session for a model package, on CUDA when asked for (or {@code auto}) and a
 * CUDA session can be created <em>and</em> run, else on CPU.
 *
 * <p>Why the warm-up run: {@code getAvailableProviders()} lists what the jar was built with, not
 * what works on this machine; only a real run proves the CUDA libraries are there.
 *
 * <p>Concurrency: {@link #run} may be called from several threads (ORT sessions are thread-safe).
 */
public final class InferenceSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InferenceSession.class);

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final ModelPackage model;
  private final OrtSession session;
  private final Device device;

  private InferenceSession(ModelPackage model, OrtSession session, Device device) {
    this.model = model;
    this.session = session;
    this.device = device;
  }

  /** As {@link #open(ModelPackage, String, Map, int, int...)} with ONNX Runtime's CUDA defaults. */
  public static InferenceSession open(ModelPackage model, String device, int intraOpThreads,
      int... warmupBatchSizes) {
    return open(model, device, Map.of(), intraOpThreads, warmupBatchSizes);
  }

  /**
   * Opens the session. {@code device} is {@code auto}, {@code cpu} or {@code cuda}; {@code cuda}
   * fails if CUDA does not work, {@code auto} falls back to CPU. {@code cudaOptions} go to ONNX
   * Runtime's CUDA provider as given ({@code inference.cuda.options}). {@code warmupBatchSizes}
   * are run once each so the first events do not pay for allocation and kernel selection.
   */
  public static InferenceSession open(ModelPackage model, String device, Map<String, String> cudaOptions,
      int intraOpThreads, int... warmupBatchSizes) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    if (!device.equals("cpu")) {
      Optional<String> unavailable = CudaLibraries.prepare();
      Throwable cause = null;
      if (unavailable.isEmpty()) {
        try {
          return openCuda(env, model, cudaOptions, intraOpThreads, warmupBatchSizes);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
          unavailable = Optional.of(CudaLibraries.explain(e));
          cause = e;
        }
      }
      if (device.equals("cuda")) {
        throw new IllegalStateException("inference.device=cuda but a CUDA session could not be created and run: "
            + unavailable.get(), cause);
      }
      LOG.info("event=cuda_unavailable device=auto fallback=CPU reason=\"{}\"", unavailable.get());
    }
    try {
      OrtSession s = env.createSession(model.servedGraph().toString(), options(intraOpThreads, false));
      InferenceSession cpu = new InferenceSession(model, s, Device.CPU);
      cpu.warmUp(warmupBatchSizes);
      LOG.info("event=model_loaded model={} version={} input={} device=CPU threads={}", model.name(),
          model.version(), model.inputType().manifestName(), intraOpThreads == 0 ? Runtime.getRuntime().availableProcessors() : intraOpThreads);
      return cpu;
    } catch (OrtException e) {
      throw new IllegalStateException("Cannot load " + model.servedGraph() + ": " + e.getMessage(), e);
    }
  }

  private static InferenceSession openCuda(OrtEnvironment env, ModelPackage model, Map<String, String> cudaOptions,
      int intraOpThreads, int... warmupBatchSizes) throws OrtException {
    OrtSession s = env.createSession(model.servedGraph().toString(), options(intraOpThreads, true, cudaOptions));
    InferenceSession cuda = new InferenceSession(model, s, Device.CUDA);
    try {
      cuda.warmUp(warmupBatchSizes);
    } catch (OrtException | RuntimeException e) {
      cuda.close(); // the CPU session that may follow gets the memory back
      throw e;
    }
    LOG.info("event=model_loaded model={} version={} input={} device=CUDA", model.name(), model.version(),
        model.inputType().manifestName());
    return cuda;
  }

  /** The service's session options (public for bench/ort, which times runs with exactly these). */
  public static OrtSession.SessionOptions options(int threads, boolean cuda) throws OrtException {
    return options(threads, cuda, Map.of());
  }

  /** As {@link #options(int, boolean)}, with options for the CUDA provider (ignored without it). */
  public static OrtSession.SessionOptions options(int threads, boolean cuda, Map<String, String> cudaOptions)
      throws OrtException {
    OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
    // The LoRA base graph's overridable initializers draw one "appears in graph inputs" warning
    // each: expected, so only errors are logged.
    opts.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (threads > 0) {
      opts.setIntraOpNumThreads(threads);
    }
    // ORT's pool threads spin between runs by default; the service runs a batch, then decodes
    // and publishes on the same cores, so spinning would burn the CPU those stages need.
    opts.addConfigEntry("session.intra_op.allow_spinning", "0");
    if (cuda) {
      // ORT copies the provider options when it appends the provider: closing them after is safe.
      try (OrtCUDAProviderOptions provider = new OrtCUDAProviderOptions(0)) {
        for (Map.Entry<String, String> option : cudaOptions.entrySet()) {
          provider.add(option.getKey(), option.getValue());
        }
        opts.addCUDA(provider);
      }
    }
    return opts;
  }

  private void warmUp(int... batchSizes) throws OrtException {
    for (int n : batchSizes) {
      run(allocate(n), n, null);
    }
  }

  /**
   * A direct buffer for {@code batchSize} samples of the model's input type: a native-order
   * {@link FloatBuffer} (big-endian would be garbage to ORT) for float32, a {@link ByteBuffer}
   * for uint8.
   */
  public Buffer allocate(int batchSize) {
    ByteBuffer bytes = ByteBuffer.allocateDirect(batchSize * model.sampleValues() * model.inputType().bytes())
        .order(ByteOrder.nativeOrder());
    return model.inputType() == InputType.FLOAT32 ? bytes.asFloatBuffer() : bytes;
  }

  /**
   * Runs the first {@code n} samples of {@code input}, a buffer from {@link #allocate} (no copy:
   * the direct buffer is the tensor). Returns one row of {@code outputs} per sample, as the model
   * produced them (logits or probabilities, see {@link ModelPackage#outputIsLogits()}).
   */
  public float[][] run(Buffer input, int n) throws OrtException {
    return run(input, n, null);
  }

  /**
   * As {@link #run(Buffer, int)}, with a task's LoRA adapter active for this run only
   * ({@code null}: the graph's own weights). Runs of different adapters may overlap.
   */
  public float[][] run(Buffer input, int n, OrtLoraAdapter adapter) throws OrtException {
    Buffer view = input.duplicate().position(0).limit(n * model.sampleValues()).slice();
    long[] shape = {n, model.channels(), model.height(), model.width()};
    try (OnnxTensor tensor = tensor(view, shape);
        OrtSession.RunOptions options = new OrtSession.RunOptions()) {
      if (adapter != null) {
        options.addActiveLoraAdapter(adapter);
      }
      return run(tensor, options);
    }
  }

  private OnnxTensor tensor(Buffer view, long[] shape) throws OrtException {
    if (model.inputType() == InputType.FLOAT32 && view instanceof FloatBuffer floats) {
      return OnnxTensor.createTensor(env, floats, shape);
    }
    if (model.inputType() == InputType.UINT8 && view instanceof ByteBuffer bytes) {
      return OnnxTensor.createTensor(env, bytes, shape, OnnxJavaType.UINT8);
    }
    throw new IllegalArgumentException("model " + model.name() + " takes " + model.inputType().manifestName()
        + " input, not a " + view.getClass().getSimpleName());
  }

  private float[][] run(OnnxTensor tensor, OrtSession.RunOptions options) throws OrtException {
    try (OrtSession.Result result = session.run(Map.of(model.inputName(), tensor), options)) {
      Object value = result.get(model.outputName())
          .orElseThrow(() -> new IllegalStateException("model has no output " + model.outputName()))
          .getValue();
      return (float[][]) value;
    }
  }

  public Device device() {
    return device;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      LOG.warn("Closing the ORT session failed: {}", e.toString());
    }
  }
}
