package io.loraflow.image;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Turns a {@link DecodedImage} into the model's input, as torchvision does on a PIL image:
 * alpha composited on the background, {@code Resize} (PIL resampling, see {@link Resampler}),
 * {@code CenterCrop} (zero padding when the crop is larger), {@code ToTensor} (/255), then
 * {@code Normalize} (minus mean, over std), in the spec's channel order.
 *
 * <p>Output is {@code 3 × cropHeight × cropWidth} values, channel-major, written with absolute
 * puts into the batch tensor: the buffer's position is not used or changed. Into a
 * {@link FloatBuffer} they are the normalised floats; into a {@link ByteBuffer} (a model whose
 * input is uint8 and whose graph normalises) the 8-bit samples before {@code ToTensor}. Immutable;
 * any thread, concurrently (call it from the decode workers, not the event loop).
 */
public final class Preprocessor {
  private final PreprocessSpec spec;
  /** Per output channel, the normalised value of each 8-bit sample. */
  private final float[][] lut = new float[3][256];

  public Preprocessor(PreprocessSpec spec) {
    this.spec = spec;
    float[] mean = spec.mean();
    float[] std = spec.std();
    for (int c = 0; c < 3; c++) {
      int src = spec.bgr() ? 2 - c : c;
      for (int v = 0; v < 256; v++) {
        lut[c][v] = (v / 255f - mean[src]) / std[src];
      }
    }
  }

  public PreprocessSpec spec() {
    return spec;
  }

  /** Values one image occupies in the tensor: 3 × crop height × crop width. */
  public int valuesPerImage() {
    return 3 * spec.cropHeight() * spec.cropWidth();
  }

  /**
   * Writes the image's {@link #valuesPerImage} values at {@code dst[offset...]}: floats into a
   * {@link FloatBuffer}, bytes into a {@link ByteBuffer}.
   */
  public void writeTo(DecodedImage img, Buffer dst, int offset) {
    if (offset < 0 || offset + valuesPerImage() > dst.limit()) {
      throw new IndexOutOfBoundsException("tensor slot " + offset + " does not fit");
    }
    FloatBuffer floats = dst instanceof FloatBuffer f ? f : null;
    ByteBuffer bytes = dst instanceof ByteBuffer b ? b : null;
    if (floats == null && bytes == null) {
      throw new IllegalArgumentException("a tensor is a FloatBuffer or a ByteBuffer, not " + dst.getClass());
    }
    byte[] rgb = img.hasAlpha() ? composite(img, spec.background()) : img.pixels();
    int w = img.width();
    int h = img.height();
    int outH = spec.resizeHeight();
    int outW = spec.resizeWidth();
    if (spec.resizeMode() == PreprocessSpec.ResizeMode.SHORTER_SIDE) {
      int size = spec.resizeHeight();
      int shortSide = Math.min(w, h);
      int longSide = (int) ((double) size * Math.max(w, h) / shortSide);
      outW = w <= h ? size : longSide;
      outH = w <= h ? longSide : size;
    }
    int ch = spec.cropHeight();
    int cw = spec.cropWidth();
    int top = cropStart(outH, ch);
    int left = cropStart(outW, cw);
    int y0 = Math.max(top, 0);
    int y1 = Math.min(top + ch, outH);
    int x0 = Math.max(left, 0);
    int x1 = Math.min(left + cw, outW);
    byte[] window = Resampler.resize(rgb, w, h, outW, outH, spec.interpolation(), y0, y1, x0, x1);
    int plane = ch * cw;
    int windowW = x1 - x0;
    // A row at a time into a heap array, then one bulk put: per-value puts into a direct buffer
    // cost a bounds check each and were a tenth of the decode workers' time.
    byte[] samples = new byte[cw];
    float[] row = new float[cw];
    for (int y = 0; y < ch; y++) {
      int sy = y + top;
      boolean rowInside = sy >= y0 && sy < y1;
      for (int c = 0; c < 3; c++) {
        int srcC = spec.bgr() ? 2 - c : c;
        int in = ((sy - y0) * windowW - x0) * 3 + srcC;
        for (int x = 0; x < cw; x++) {
          int sx = x + left;
          boolean inside = rowInside && sx >= x0 && sx < x1;
          samples[x] = inside ? window[in + sx * 3] : 0; // padding is black, as CenterCrop's
        }
        int at = offset + c * plane + y * cw;
        if (bytes != null) {
          bytes.put(at, samples, 0, cw);
        } else {
          float[] table = lut[c];
          for (int x = 0; x < cw; x++) {
            row[x] = table[samples[x] & 0xff];
          }
          floats.put(at, row, 0, cw);
        }
      }
    }
  }

  /**
   * torchvision's CenterCrop offset: {@code int(round((size - crop) / 2))}, Python rounding half
   * to even; after zero padding when the crop is larger, the offset into the unpadded image is
   * negative.
   */
  static int cropStart(int size, int crop) {
    if (crop > size) {
      int padBefore = (crop - size) / 2;
      return -padBefore;
    }
    return (int) Math.rint((size - crop) / 2.0);
  }

  /** RGBA over an opaque background, rounded to nearest, as PIL's paste with an alpha mask. */
  private static byte[] composite(DecodedImage img, int[] bg) {
    byte[] src = img.pixels();
    byte[] out = new byte[img.width() * img.height() * 3];
    for (int i = 0, o = 0; i < src.length; i += 4, o += 3) {
      int a = src[i + 3] & 0xff;
      for (int c = 0; c < 3; c++) {
        int t = (src[i + c] & 0xff) * a + bg[c] * (255 - a) + 128;
        out[o + c] = (byte) (((t >> 8) + t) >> 8);
      }
    }
    return out;
  }
}
