package io.loraflow.fetch;

import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads image files that lie under one of the allowed roots. A path with a {@code ..} segment,
 * or one that leaves every root lexically or once symlinks are resolved, is
 * {@code FORBIDDEN_TARGET}; a missing file is {@code FILE_NOT_FOUND}, a non-regular one
 * {@code FETCH_FAILED}; a file over {@code maxBytes} is {@code TOO_LARGE}. Relative paths
 * resolve against the first root. On Linux a file beneath a root is read through
 * {@link BeneathRoot} ({@code openat2}) when it can answer.
 *
 * <p>Thread: {@link #fetch} from any thread; the file system is touched on a worker thread only.
 */
final class FileSource {
  private final Vertx vertx;
  private final long maxBytes;
  /** The allowed roots, in the configured order. */
  private final List<Root> roots = new ArrayList<>();

  /**
   * One allowed root: as configured (absolute, normalised), as its real path, and its
   * {@code openat2} fast path (null where there is none).
   */
  private record Root(Path configured, Path real, BeneathRoot beneath) {
  }

  FileSource(Vertx vertx, FetchOptions options) {
    this.vertx = vertx;
    this.maxBytes = options.maxBytes();
    for (Path root : options.allowedRoots()) {
      Path abs = root.toAbsolutePath().normalize();
      Path real;
      try {
        real = abs.toRealPath();
      } catch (IOException e) {
        real = abs;
      }
      roots.add(new Root(abs, real, BeneathRoot.open(abs)));
    }
  }

  Future<Buffer> fetch(Path path) {
    return vertx.executeBlocking(() -> Buffer.buffer(read(path)), false);
  }

  /** Blocking: checks and reads the file. */
  byte[] read(Path path) throws IOException {
    if (roots.isEmpty()) {
      throw forbidden("file references are disabled (no allowed roots)", path);
    }
    for (Path segment : path) {
      if (segment.toString().equals("..")) {
        throw forbidden("'..' in path", path);
      }
    }
    Path abs = (path.isAbsolute() ? path : roots.get(0).configured().resolve(path)).normalize();
    Root under = roots.stream().filter(r -> abs.startsWith(r.configured())).findFirst()
        .orElseThrow(() -> forbidden("outside the allowed roots", path));
    byte[] fast = under.beneath() == null ? null : under.beneath().read(abs, maxBytes);
    if (fast != null) {
      return fast;
    }
    // The portable path answers.
    Path real;
    try {
      real = abs.toRealPath();
    } catch (NoSuchFileException e) {
      throw new StageException(Reason.FILE_NOT_FOUND, "no such file: " + path);
    }
    if (roots.stream().noneMatch(r -> real.startsWith(r.real()))) {
      throw forbidden("resolves outside the allowed roots", path);
    }
    // Checked before it is opened (opening a FIFO would block); then one read of the size the
    // check saw (a file that grows meanwhile is cut there, one that shrinks is read to its end).
    var attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isRegularFile()) {
      throw new StageException(Reason.FETCH_FAILED, "not a regular file: " + path);
    }
    if (attrs.size() > maxBytes) {
      throw tooLarge(path);
    }
    try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buf = ByteBuffer.allocate((int) attrs.size());
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // a short read: go on until the buffer is full or the file ends
      }
      return buf.hasRemaining() ? Arrays.copyOf(buf.array(), buf.position()) : buf.array();
    }
  }

  /** Closes the roots' descriptors (once the reads under way are done); reads after this take the portable path. */
  void close() {
    roots.forEach(r -> {
      if (r.beneath() != null) {
        r.beneath().close();
      }
    });
  }

  private StageException tooLarge(Path path) {
    return new StageException(Reason.TOO_LARGE, "file over " + maxBytes + " bytes: " + path);
  }

  private static StageException forbidden(String why, Path path) {
    return new StageException(Reason.FORBIDDEN_TARGET, why + ": " + path);
  }
}
