package io.loraflow.testkit;

import io.loraflow.Main;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * The service with a decoder that kills the JVM: its BMP reader (ImageIO decodes every BMP, see
 * {@code ImageIoDecoder}) halts the process the moment it is asked for, as a native decoder crash
 * would. For fault tests of records that crash every instance that takes them; start it with
 * {@link ServiceProcess#launch(String, java.util.Map, String)}.
 */
public final class CrashOnBmpMain {
  /** The exit status of the crash. */
  public static final int EXIT = 99;

  private CrashOnBmpMain() {
  }

  public static void main(String[] args) throws Exception {
    IIORegistry registry = IIORegistry.getDefaultInstance();
    ImageReaderSpi crashing = new Crashing();
    registry.registerServiceProvider(crashing, ImageReaderSpi.class);
    Iterator<ImageReaderSpi> all = registry.getServiceProviders(ImageReaderSpi.class, true);
    while (all.hasNext()) {
      ImageReaderSpi other = all.next();
      if (other != crashing) {
        registry.setOrdering(ImageReaderSpi.class, crashing, other); // ours comes first for "bmp"
      }
    }
    Main.main(args);
  }

  private static final class Crashing extends ImageReaderSpi {
    Crashing() {
      super("loraflow-test", "1", new String[] {"bmp", "BMP"}, new String[] {"bmp"}, new String[] {"image/bmp"},
          "none", new Class<?>[] {ImageInputStream.class}, null, false, null, null, null, null, false, null,
          null, null, null);
    }

    @Override
    public boolean canDecodeInput(Object source) {
      return true;
    }

    @Override
    public ImageReader createReaderInstance(Object extension) {
      System.err.println("CrashOnBmpMain: a BMP reached the decoder; halting");
      Runtime.getRuntime().halt(EXIT);
      return null;
    }

    @Override
    public String getDescription(Locale locale) {
      return "halts the JVM (loraflow fault tests)";
    }
  }
}
