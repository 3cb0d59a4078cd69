package io.loraflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code loraflow evaluate} on the bundled model's committed test samples (the first 300
 * Fashion-MNIST test images, labels.csv): the served decode, preprocessing and inference give
 * 275/300 there, and the full 10,000-image test set gives the published 90.40 % (README).
 */
class EvaluateCommandTest {
  private static final Path SAMPLES = Path.of("models/fashion-mnist/samples");
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir
  Path dir;

  private int evaluate(String... args) {
    CommandLine cl = LoraflowCommand.commandLine(Map.of());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 3];
    all[0] = "evaluate";
    all[1] = "--inference-device";
    all[2] = "cpu";
    System.arraycopy(args, 0, all, 3, args.length);
    return cl.execute(all);
  }

  @Test
  void csvOfTheCommittedSamplesGivesTheModelsAccuracy() {
    assertEquals(0, evaluate("--images", SAMPLES.resolve("labels.csv").toString()), err.toString());
    assertTrue(out.toString().contains("top-1: 91.67% (275/300)"), out.toString());
    assertTrue(out.toString().contains("top-5: 99.67% (299/300)"), out.toString());
    assertTrue(out.toString().contains("unreadable: 0"), out.toString());
    assertTrue(err.toString().contains("evaluate: 300/300 images (100%)"), err.toString());
  }

  @Test
  void imageFolderGivesTheSameAndCountsUnreadableImages() throws IOException {
    Path root = imageFolder(Map.of());
    Files.write(root.resolve("Bag/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
    assertEquals(0, evaluate("--images", root.toString()), err.toString());
    assertTrue(out.toString().contains("top-1: 91.67% (275/300)"), out.toString());
    assertTrue(out.toString().contains("unreadable: 1\n  " + root.resolve("Bag/broken.png")), out.toString());
  }

  @Test
  void mislabelledImagesLowerTheAccuracyAndShowAsConfusion() throws IOException {
    // The 35 trousers filed as bags: all 35 become errors, and the top pair names them.
    Path root = imageFolder(Map.of("Trouser", "Bag"));
    assertEquals(0, evaluate("--images", root.toString()), err.toString());
    assertTrue(out.toString().contains("top-1: 80.00% (240/300)"), out.toString());
    assertTrue(out.toString().contains("most confused (true -> predicted: images):\n  Bag -> Trouser: 35"),
        out.toString());
  }

  @Test
  void loraTaskOfThePackage() {
    assertEquals(0, evaluate("--task", "digits", "--images", "models/digits/samples/labels.csv"), err.toString());
    assertTrue(out.toString().contains("task digits"), out.toString());
    assertTrue(out.toString().contains("top-1: 100.00% (100/100)"), out.toString());
  }

  @Test
  void labelFolderTheModelDoesNotKnowIsAnError() throws IOException {
    Path root = imageFolder(Map.of("Sneaker", "Sneakers"));
    assertEquals(2, evaluate("--images", root.toString()));
    assertEquals("loraflow evaluate: label folder '" + root.resolve("Sneakers") + "': unknown label 'Sneakers' "
        + "(did you mean 'Sneaker'?); the task's labels are T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, "
        + "Shirt, Sneaker, Bag, Ankle boot", lastLine());
  }

  @Test
  void emptyFolderAndUnknownTaskAreErrors() throws IOException {
    Files.createDirectories(dir.resolve("empty/Bag"));
    assertEquals(2, evaluate("--images", dir.resolve("empty").toString()));
    assertTrue(lastLine().startsWith("loraflow evaluate: --images " + dir.resolve("empty") + " has no images"),
        err.toString());
    assertEquals(2, evaluate("--task", "shoes", "--images", SAMPLES.resolve("labels.csv").toString()));
    assertEquals("loraflow evaluate: --task shoes: the package serves [digits, fashion]", lastLine());
  }

  private String lastLine() {
    List<String> lines = err.toString().lines().filter(l -> !l.contains(" INFO ")).toList();
    return lines.get(lines.size() - 1);
  }

  /** The samples in ImageFolder layout; {@code moved} files a label's images under another folder. */
  private Path imageFolder(Map<String, String> moved) throws IOException {
    Path root = dir.resolve("images");
    for (String line : Files.readAllLines(SAMPLES.resolve("labels.csv")).subList(1, 301)) {
      String[] f = line.split(",");
      String folder = moved.getOrDefault(f[1], f[1]).replace('/', '_');
      Files.createDirectories(root.resolve(folder));
      Files.copy(SAMPLES.resolve(f[0]), root.resolve(folder).resolve(f[0]));
    }
    return root;
  }
}
