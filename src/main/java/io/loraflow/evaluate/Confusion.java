package io.loraflow.evaluate;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Counts of an evaluation: the confusion matrix (true × top-1), top-5 hits and the images that
 * could not be read. Prints the summary {@code loraflow evaluate} ends with.
 */
public final class Confusion {
  /** Unreadable images named in the summary; the rest are only counted. */
  private static final int UNREADABLE_SHOWN = 5;
  /** Confused pairs in the summary. */
  private static final int PAIRS_SHOWN = 10;

  private final List<String> labels;
  private final long[][] counts;
  private long top5;
  private final List<String> unreadable = new ArrayList<>();

  public Confusion(List<String> labels) {
    this.labels = labels;
    this.counts = new long[labels.size()][labels.size()];
  }

  /** One classified image: its true label, and the indices of the top-5 (best first). */
  public void add(int truth, int[] ranked) {
    counts[truth][ranked[0]]++;
    for (int r : ranked) {
      if (r == truth) {
        top5++;
        break;
      }
    }
  }

  public void unreadable(Path file, String why) {
    unreadable.add(file + ": " + why);
  }

  public long classified() {
    long n = 0;
    for (int t = 0; t < counts.length; t++) {
      for (long c : counts[t]) {
        n += c;
      }
    }
    return n;
  }

  public long correct() {
    long n = 0;
    for (int t = 0; t < counts.length; t++) {
      n += counts[t][t];
    }
    return n;
  }

  public long top5Hits() {
    return top5;
  }

  public int unreadableCount() {
    return unreadable.size();
  }

  public long count(int truth, int predicted) {
    return counts[truth][predicted];
  }

  /** Top-1 accuracy over the images classified (unreadable ones are left out, and counted apart). */
  public double top1() {
    return classified() == 0 ? 0 : (double) correct() / classified();
  }

  public double top5() {
    return classified() == 0 ? 0 : (double) top5 / classified();
  }

  /** Off-diagonal cells, most frequent first (ties: label order). */
  public List<Pair> mostConfused(int n) {
    List<Pair> pairs = new ArrayList<>();
    for (int t = 0; t < counts.length; t++) {
      for (int p = 0; p < counts.length; p++) {
        if (t != p && counts[t][p] > 0) {
          pairs.add(new Pair(labels.get(t), labels.get(p), counts[t][p]));
        }
      }
    }
    pairs.sort(Comparator.comparingLong(Pair::count).reversed());
    return pairs.subList(0, Math.min(n, pairs.size()));
  }

  /** {@code count} images of {@code truth} were classified as {@code predicted}. */
  public record Pair(String truth, String predicted, long count) {
  }

  public void print(PrintWriter out) {
    long n = classified();
    out.printf("top-1: %.2f%% (%d/%d)%n", 100 * top1(), correct(), n);
    out.printf("top-5: %.2f%% (%d/%d)%n", 100 * top5(), top5, n);
    out.printf("unreadable: %d%n", unreadable.size());
    unreadable.stream().limit(UNREADABLE_SHOWN).forEach(u -> out.println("  " + u));
    if (unreadable.size() > UNREADABLE_SHOWN) {
      out.printf("  ... and %d more%n", unreadable.size() - UNREADABLE_SHOWN);
    }
    int width = labels.stream().mapToInt(String::length).max().orElse(5);
    out.println("per class (top-1, images):");
    for (int t = 0; t < labels.size(); t++) {
      long images = 0;
      for (long c : counts[t]) {
        images += c;
      }
      if (images > 0) {
        out.printf("  %-" + width + "s %7.2f%% %6d%n", labels.get(t), 100.0 * counts[t][t] / images, images);
      }
    }
    out.println("most confused (true -> predicted: images):");
    for (Pair p : mostConfused(PAIRS_SHOWN)) {
      out.printf("  %s -> %s: %d%n", p.truth(), p.predicted(), p.count());
    }
    out.flush();
  }
}
