package io.loraflow.image;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * Bounds the memory of images waiting for inference. Decoding is faster than a slow model (a
 * ViT-B/16 on a CPU) and {@code max.in.flight} counts events, not bytes: 256 camera photos of 12
 * MP decoded ahead of inference are 9 GB, far past a 2 GiB pod's heap.
 *
 * <ul>
 *   <li>A decode starts only while the decoded images not yet run, plus the decodes under way at
 *       the size of the largest recent image, fit in {@code maxBytes}. One may always run when
 *       nothing is decoded or decoding, so an image larger than the budget still goes through,
 *       alone; tiny images are not held back.
 *   <li>A fetch starts only while the fetched bytes waiting for a decode plus the decoded images
 *       are under {@code maxBytes}. A fetch under way holds nothing back: a slow image store must
 *       not stall the others.
 * </ul>
 * Compressed bytes do not count against decodes, so decodes, which free them, always progress.
 *
 * <p>Concurrency: event loop only (fetches and decodes themselves run elsewhere).
 */
public final class DecodeBudget {
  /** How fast the size estimate forgets a large image: about 500 smaller ones later it counts little. */
  private static final double DECAY = 0.99;

  private final long maxBytes;
  private final ArrayDeque<Promise<Void>> waitingToDecode = new ArrayDeque<>();
  private final ArrayDeque<Promise<Void>> waitingToFetch = new ArrayDeque<>();
  /** Decoded images not yet run. */
  private long decodedBytes;
  /** Fetched images not yet decoded. */
  private long fetchedBytes;
  private int decoding;
  /** The largest recent decoded size, decaying; 0 until the first decode is done. */
  private double estimate;

  public DecodeBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Completes (at once, when there is room) when a fetch may start; then {@link #fetched}. */
  public Future<Void> beforeFetch() {
    if (waitingToFetch.isEmpty() && fetchFits()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waitingToFetch.add(p);
    return p.future();
  }

  /** A fetch brought {@code bytes}, held until its decode ends ({@link #decoded} or {@link #failed}). */
  public void fetched(long bytes) {
    fetchedBytes += bytes;
  }

  /** Completes (at once, when it fits) when a decode may start; then {@link #decoded} or {@link #failed}. */
  public Future<Void> acquire() {
    if (waitingToDecode.isEmpty() && decodeFits()) {
      decoding++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waitingToDecode.add(p);
    return p.future();
  }

  /**
   * A decode of {@code fetched} bytes ({@link #fetched}; 0 for a file read by the decode) ended
   * with an image of {@code bytes}, now buffered until {@link #released}.
   */
  public void decoded(long fetched, long bytes) {
    decoding--;
    fetchedBytes -= fetched;
    decodedBytes += bytes;
    estimate = Math.max(bytes, estimate * DECAY);
    admit();
  }

  /** A decode of {@code fetched} bytes ended without an image. */
  public void failed(long fetched) {
    decoding--;
    fetchedBytes -= fetched;
    admit();
  }

  /** A buffered image of {@code bytes} was run (or dropped). */
  public void released(long bytes) {
    decodedBytes -= bytes;
    admit();
  }

  /** Bytes of images waiting for inference: fetched and not decoded, decoded and not run. */
  public long buffered() {
    return decodedBytes + fetchedBytes;
  }

  /** Fetches and decodes waiting for room. */
  public int waiting() {
    return waitingToDecode.size() + waitingToFetch.size();
  }

  private boolean decodeFits() {
    if (decodedBytes == 0 && decoding == 0) {
      return true; // progress, whatever the sizes
    }
    if (estimate == 0) {
      return decoding == 0; // nothing known yet: one at a time
    }
    return decodedBytes + (decoding + 1) * estimate <= maxBytes;
  }

  private boolean fetchFits() {
    return decodedBytes + fetchedBytes < maxBytes;
  }

  private void admit() {
    while (!waitingToDecode.isEmpty() && decodeFits()) {
      decoding++;
      waitingToDecode.poll().complete();
    }
    while (!waitingToFetch.isEmpty() && fetchFits()) {
      waitingToFetch.poll().complete();
    }
  }
}
