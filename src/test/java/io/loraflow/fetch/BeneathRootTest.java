package io.loraflow.fetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The openat2 fast path answers plain reads beneath its root and leaves everything else to the portable path. */
@EnabledOnOs(OS.LINUX)
class BeneathRootTest {
  @TempDir
  Path tmp;

  @Test
  void readsBeneathTheRootAndDeclinesTheRest() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    byte[] bytes = {1, 2, 3, 4, 5};
    Files.write(Files.createDirectories(root.resolve("a/b")).resolve("x.png"), bytes);
    Files.write(tmp.resolve("outside.png"), bytes);
    Files.write(root.resolve("empty.png"), new byte[0]);
    Files.createSymbolicLink(root.resolve("in.png"), Path.of("a/b/x.png"));
    Files.createSymbolicLink(root.resolve("out.png"), Path.of("../outside.png"));
    Files.createSymbolicLink(root.resolve("abs.png"), root.resolve("a/b/x.png"));
    try (BeneathRoot b = BeneathRoot.open(root)) {
      assertNotNull(b, "openat2 should be available on this Linux kernel");
      assertArrayEquals(bytes, b.read(root.resolve("a/b/x.png"), 100));
      assertArrayEquals(bytes, b.read(root.resolve("in.png"), 100));
      assertArrayEquals(new byte[0], b.read(root.resolve("empty.png"), 100));
      assertNull(b.read(root.resolve("out.png"), 100), "a symlink out of the root");
      assertNull(b.read(root.resolve("abs.png"), 100), "an absolute symlink: the portable path decides");
      assertNull(b.read(root.resolve("a/b/x.png"), 4), "over the size limit");
      assertNull(b.read(root.resolve("a"), 100), "a directory");
      assertNull(b.read(root.resolve("missing.png"), 100), "missing");
      assertNull(b.read(tmp.resolve("outside.png"), 100), "not under the root at all");
      b.close();
      assertNull(b.read(root.resolve("a/b/x.png"), 100), "closed");
    }
  }
}
