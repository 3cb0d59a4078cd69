package io.loraflow.image;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decode + preprocess per image, single thread, against {@code djpeg} on the same file in the same
 * run. {@code djpeg} runs as a process, so {@link #djpegVersion} (start-up only) is measured too:
 * djpeg's decode time is {@code djpeg - djpegVersion}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecodeBenchmark {
  private static final Path IMAGES = Path.of(System.getProperty("images",
      "../src/test/resources/images"));
  private static final JsonObject VIT = new JsonObject("{\"resize\": 256, \"crop\": [224, 224],"
      + " \"mean\": [0.485, 0.456, 0.406], \"std\": [0.229, 0.224, 0.225]}");
  private static final JsonObject PX28 = new JsonObject("{\"resize\": 28, \"crop\": [28, 28],"
      + " \"mean\": [0.286, 0.286, 0.286], \"std\": [0.353, 0.353, 0.353]}");

  private final ImageDecoder decoder = new ImageDecoder(50_000_000L);
  private final Preprocessor vit = new Preprocessor(PreprocessSpec.fromJson(VIT));
  private final Preprocessor px28 = new Preprocessor(PreprocessSpec.fromJson(PX28));
  private final FloatBuffer tensor = ByteBuffer.allocateDirect(3 * 224 * 224 * 4)
      .order(ByteOrder.nativeOrder()).asFloatBuffer();
  private byte[] jpeg;
  private byte[] png;
  private DecodedImage decoded;
  private String jpegPath;

  @Setup
  public void setUp() throws IOException {
    jpegPath = IMAGES.resolve("flower_640x427.jpg").toString();
    jpeg = Files.readAllBytes(Path.of(jpegPath));
    png = Files.readAllBytes(IMAGES.resolve("fmnist_28x28.png"));
    decoded = decoder.decode(jpeg);
    System.out.println("decoders: " + ImageDecoder.backends());
  }

  /** The service's path: libjpeg-turbo when it loads (see the printed backends), else ImageIO. */
  @Benchmark
  public FloatBuffer jpeg640x427ToVit224() {
    vit.writeTo(decoder.decode(jpeg), tensor, 0);
    return tensor;
  }

  /** The ImageIO (TwelveMonkeys) fallback, for comparison. */
  @Benchmark
  public FloatBuffer jpeg640x427ToVit224ImageIo() throws IOException {
    vit.writeTo(ImageIoDecoder.decode(jpeg, ImageFormat.JPEG, 50_000_000L), tensor, 0);
    return tensor;
  }

  /** Preprocessing alone (decoded once in setUp). */
  @Benchmark
  public FloatBuffer preprocess640x427ToVit224() {
    vit.writeTo(decoded, tensor, 0);
    return tensor;
  }

  @Benchmark
  public FloatBuffer png28ToPx28() {
    px28.writeTo(decoder.decode(png), tensor, 0);
    return tensor;
  }

  @Benchmark
  public int djpeg() throws IOException, InterruptedException {
    return run("djpeg", "-outfile", "/dev/null", jpegPath);
  }

  @Benchmark
  public int djpegVersion() throws IOException, InterruptedException {
    return run("djpeg", "-version");
  }

  private static int run(String... command) throws IOException, InterruptedException {
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }
}
