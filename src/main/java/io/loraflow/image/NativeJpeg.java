package io.loraflow.image;

import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.loraflow.error.Reason;
import io.loraflow.error.StageException;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.util.Locale;

/**
 * JPEG decoding through libjpeg-turbo's TurboJPEG API (Debian {@code libturbojpeg0}) via JNA:
 * about 5× faster than ImageIO, and the same library, IDCT (islow) and fancy upsampling that
 * PIL uses, so the pixels match the reference exactly. {@link #available} is false when the
 * library cannot be loaded; {@link ImageDecoder} then uses ImageIO.
 *
 * <p>Thread: any, concurrently; each call has its own TurboJPEG handle.
 */
final class NativeJpeg {
  private static final int TJPF_RGB = 0;
  private static final int TJPF_CMYK = 11;
  private static final int TJCS_CMYK = 3;
  private static final int TJCS_YCCK = 4;
  private static final Lib LIB = NativeLibs.load(Lib.class, "turbojpeg", "libturbojpeg.so.0");

  private NativeJpeg() {}

  /** The subset of turbojpeg.h (libjpeg-turbo 2.x) used here. */
  interface Lib extends Library {
    Pointer tjInitDecompress();

    int tjDecompressHeader3(Pointer handle, byte[] jpeg, NativeLong size, IntByReference width,
        IntByReference height, IntByReference subsampling, IntByReference colorspace);

    int tjDecompress2(Pointer handle, byte[] jpeg, NativeLong size, byte[] dst, int width,
        int pitch, int height, int pixelFormat, int flags);

    String tjGetErrorStr2(Pointer handle);

    int tjDestroy(Pointer handle);
  }

  static boolean available() {
    return LIB != null;
  }

  /**
   * Decodes a JPEG (before EXIF orientation) after checking its pixel count.
   *
   * @throws StageException {@code TOO_LARGE}, or {@code DECODE_FAILED} for corrupt or truncated
   *     data (libjpeg's "premature end" warning included, as PIL refuses those too)
   */
  static DecodedImage decode(byte[] jpeg, long maxPixels) {
    Pointer handle = LIB.tjInitDecompress();
    if (handle == null) {
      throw new IllegalStateException("tjInitDecompress failed");
    }
    try {
      NativeLong size = new NativeLong(jpeg.length);
      IntByReference w = new IntByReference();
      IntByReference h = new IntByReference();
      IntByReference colorspace = new IntByReference();
      if (LIB.tjDecompressHeader3(handle, jpeg, size, w, h, new IntByReference(), colorspace)
          != 0) {
        throw failed(handle);
      }
      int width = w.getValue();
      int height = h.getValue();
      if ((long) width * height > maxPixels) {
        throw new StageException(Reason.TOO_LARGE, width + "x" + height
            + " is over the " + maxPixels + " pixel limit");
      }
      boolean cmyk = colorspace.getValue() == TJCS_CMYK || colorspace.getValue() == TJCS_YCCK;
      int channels = cmyk ? 4 : 3;
      byte[] dst = new byte[Math.multiplyExact(width * channels, height)];
      if (LIB.tjDecompress2(handle, jpeg, size, dst, width, width * channels, height,
          cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0 && isFatal(LIB.tjGetErrorStr2(handle))) {
        throw failed(handle);
      }
      if (!cmyk) {
        return new DecodedImage(width, height, 3, dst);
      }
      Raster raster = Raster.createInterleavedRaster(new DataBufferByte(dst, dst.length), width,
          height, width * 4, 4, new int[] {0, 1, 2, 3}, null);
      return RasterConverter.fromCmyk(raster, JpegSegments.find(jpeg, 0xee, "Adobe") >= 0);
    } finally {
      LIB.tjDestroy(handle);
    }
  }

  /** Warnings PIL tolerates (extraneous bytes, odd markers) pass; truncation does not. */
  private static boolean isFatal(String message) {
    String m = String.valueOf(message).toLowerCase(Locale.ROOT);
    return !m.startsWith("corrupt jpeg data") || m.contains("premature end");
  }

  private static StageException failed(Pointer handle) {
    return new StageException(Reason.DECODE_FAILED, "JPEG does not decode: "
        + LIB.tjGetErrorStr2(handle));
  }
}
