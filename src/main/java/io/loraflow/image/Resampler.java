package io.loraflow.image;

import io.loraflow.image.PreprocessSpec.Interpolation;
import java.util.Arrays;

/**
 * PIL's {@code Image.resize} for 8-bit RGB (Pillow {@code Resample.c}): a separable convolution
 * whose filter support grows with the downscale factor (antialiasing), fixed-point weights with
 * 22 fraction bits, horizontal pass first, each pass rounded and clamped to 0–255. Only the
 * window of the output that the crop keeps is computed; each output pixel depends on its own
 * weights only, so the window is bit-identical to the same region of PIL's full result.
 *
 * <p>Stateless, any thread.
 */
final class Resampler {
  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final int HALF = 1 << (PRECISION_BITS - 1);

  private Resampler() {}

  /**
   * Resizes {@code src} (interleaved RGB, {@code w × h}) to {@code outW × outH} and returns the
   * window rows {@code [y0, y1)}, columns {@code [x0, x1)} of the result, interleaved RGB.
   */
  static byte[] resize(byte[] src, int w, int h, int outW, int outH, Interpolation filter,
      int y0, int y1, int x0, int x1) {
    Weights rows = Weights.cached(h, outH, filter, y0, y1);
    Weights cols = Weights.cached(w, outW, filter, x0, x1);
    int firstRow = outH == h ? y0 : rows.start[0];
    int lastRow = outH == h ? y1 : rows.start[y1 - y0 - 1] + rows.count[y1 - y0 - 1];
    int tw = x1 - x0;
    byte[] tmp = new byte[(lastRow - firstRow) * tw * 3];
    if (outW == w) {
      for (int y = firstRow; y < lastRow; y++) {
        System.arraycopy(src, (y * w + x0) * 3, tmp, (y - firstRow) * tw * 3, tw * 3);
      }
    } else {
      horizontal(src, w, firstRow, lastRow, cols, tmp);
    }
    if (outH == h) {
      return tmp;
    }
    return vertical(tmp, tw * 3, firstRow, rows);
  }

  /** Vertical pass: one output row per weight set, accumulated a whole row at a time. */
  private static byte[] vertical(byte[] tmp, int rowBytes, int firstRow, Weights rows) {
    int outRows = rows.count.length;
    byte[] dst = new byte[outRows * rowBytes];
    int[] acc = new int[rowBytes];
    for (int y = 0; y < outRows; y++) {
      Arrays.fill(acc, HALF);
      int kOff = y * rows.size;
      int first = (rows.start[y] - firstRow) * rowBytes;
      for (int j = 0; j < rows.count[y]; j++) {
        int kv = rows.kernel[kOff + j];
        for (int i = 0, p = first + j * rowBytes; i < rowBytes; i++, p++) {
          acc[i] += (tmp[p] & 0xff) * kv;
        }
      }
      for (int i = 0, o = y * rowBytes; i < rowBytes; i++, o++) {
        dst[o] = clip8(acc[i]);
      }
    }
    return dst;
  }

  /**
   * Horizontal pass over rows {@code [firstRow, lastRow)}, column by column so that each
   * column's taps stay in registers while the rows stream past.
   */
  private static void horizontal(byte[] src, int w, int firstRow, int lastRow, Weights cols,
      byte[] tmp) {
    int tmpStride = cols.count.length * 3;
    int srcStride = w * 3;
    for (int x = 0; x < cols.count.length; x++) {
      int kOff = x * cols.size;
      int taps = cols.count[x];
      int p0 = firstRow * srcStride + cols.start[x] * 3;
      for (int y = firstRow, o = x * 3; y < lastRow; y++, o += tmpStride, p0 += srcStride) {
        int ss0 = HALF;
        int ss1 = HALF;
        int ss2 = HALF;
        for (int j = 0, p = p0; j < taps; j++, p += 3) {
          int kv = cols.kernel[kOff + j];
          ss0 += (src[p] & 0xff) * kv;
          ss1 += (src[p + 1] & 0xff) * kv;
          ss2 += (src[p + 2] & 0xff) * kv;
        }
        tmp[o] = clip8(ss0);
        tmp[o + 1] = clip8(ss1);
        tmp[o + 2] = clip8(ss2);
      }
    }
  }

  private static byte clip8(int v) {
    if (v >= 255 << PRECISION_BITS) {
      return (byte) 255;
    }
    return v <= 0 ? 0 : (byte) (v >> PRECISION_BITS);
  }

  /** Per output index: first input index, tap count, fixed-point taps (precompute_coeffs). */
  private static final class Weights {
    final int[] start;
    final int[] count;
    final int[] kernel;
    final int size;

    private Weights(int n, int size) {
      this.start = new int[n];
      this.count = new int[n];
      this.kernel = new int[n * size];
      this.size = size;
    }

    /**
     * Images of a stream mostly share a few sizes, so their taps are computed once: a bounded map
     * (emptied when full), whose entries are never written after they are published.
     */
    private static final java.util.concurrent.ConcurrentHashMap<Key, Weights> CACHE =
        new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_ENTRIES = 512;

    private record Key(int inSize, int outSize, Interpolation filter, int from, int to) {
    }

    static Weights cached(int inSize, int outSize, Interpolation filter, int from, int to) {
      Key key = new Key(inSize, outSize, filter, from, to);
      Weights w = CACHE.get(key);
      if (w == null) {
        if (CACHE.size() >= CACHE_ENTRIES) {
          CACHE.clear();
        }
        w = of(inSize, outSize, filter, from, to);
        CACHE.put(key, w);
      }
      return w;
    }

    static Weights of(int inSize, int outSize, Interpolation filter, int from, int to) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = (filter == Interpolation.BICUBIC ? 2.0 : 1.0) * filterScale;
      Weights w = new Weights(to - from, (int) Math.ceil(support) * 2 + 1);
      double[] taps = new double[w.size];
      for (int xx = from; xx < to; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double sum = 0.0;
        for (int x = 0; x < xmax; x++) {
          taps[x] = weight(filter, (x + xmin - center + 0.5) * ss);
          sum += taps[x];
        }
        int i = xx - from;
        for (int x = 0; x < xmax; x++) {
          double t = sum != 0.0 ? taps[x] / sum : taps[x];
          w.kernel[i * w.size + x] = (int) (t < 0 ? -0.5 + t * (1 << PRECISION_BITS)
              : 0.5 + t * (1 << PRECISION_BITS));
        }
        w.start[i] = xmin;
        w.count[i] = xmax;
      }
      return w;
    }

    private static double weight(Interpolation filter, double x) {
      x = Math.abs(x);
      if (filter == Interpolation.BILINEAR) {
        return x < 1.0 ? 1.0 - x : 0.0;
      }
      double a = -0.5;
      if (x < 1.0) {
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      }
      return x < 2.0 ? (((x - 5) * x + 8) * x - 4) * a : 0.0;
    }
  }
}
