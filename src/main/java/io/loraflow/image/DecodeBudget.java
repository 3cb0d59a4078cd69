package io.loraflow.image;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * Bounds the memory of decoded images waiting for inference. Decoding is faster than a slow model
 * (a ViT-B/16 on a CPU) and {@code max.in.flight} counts events, not bytes: 256 camera photos of
 * 12 MP decoded ahead of inference are 9 GB, far past a 2 GiB pod's heap. A decode starts only
 * while the images decoded and not yet run, plus the decodes under way at the size of the
 * largest recent image, fit in {@code maxBytes}; one decode may always run when nothing is
 * buffered, so an image larger than the budget still goes through, alone. Fetches are not held
 * back: a slow image store must not stall the decodes of others; their compressed bytes, a tenth
 * of a photo's pixels, are bounded by {@code max.in.flight} and {@code fetch.max.bytes}.
 *
 * <p>Concurrency: event loop only (the decodes themselves run on workers).
 */
public final class DecodeBudget {
  /** How fast the size estimate forgets a large image: about 500 smaller ones later it counts little. */
  private static final double DECAY = 0.99;

  private final long maxBytes;
  private final ArrayDeque<Promise<Void>> waiting = new ArrayDeque<>();
  private long buffered;
  private int decoding;
  /** The largest recent decoded size, decaying; 0 until the first decode is done. */
  private double estimate;

  public DecodeBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Completes (at once, when it fits) when a decode may start; then {@link #decoded} or {@link #failed}. */
  public Future<Void> acquire() {
    if (waiting.isEmpty() && fits()) {
      decoding++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    return p.future();
  }

  /** A decode ended with an image of {@code bytes}, now buffered until {@link #released}. */
  public void decoded(long bytes) {
    decoding--;
    buffered += bytes;
    estimate = Math.max(bytes, estimate * DECAY);
    admit();
  }

  /** A decode ended without an image. */
  public void failed() {
    decoding--;
    admit();
  }

  /** A buffered image of {@code bytes} was run (or dropped). */
  public void released(long bytes) {
    buffered -= bytes;
    admit();
  }

  /** Bytes of decoded images waiting for inference. */
  public long buffered() {
    return buffered;
  }

  /** Decodes waiting for room. */
  public int waiting() {
    return waiting.size();
  }

  private boolean fits() {
    if (buffered == 0 && decoding == 0) {
      return true; // progress, whatever the sizes
    }
    if (estimate == 0) {
      return decoding == 0; // nothing known yet: one at a time
    }
    return buffered + (decoding + 1) * estimate <= maxBytes;
  }

  private void admit() {
    while (!waiting.isEmpty() && fits()) {
      decoding++;
      waiting.poll().complete();
    }
  }
}
