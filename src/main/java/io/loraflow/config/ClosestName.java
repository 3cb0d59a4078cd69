package io.loraflow.config;

import java.util.Collection;

/** Finds the known name closest to a mistyped one, for "did you mean" hints. */
public final class ClosestName {
  private ClosestName() {
  }

  /** {@code " (did you mean 'x'?)."} with the known name fewest edits away; "." when none is known. */
  public static String didYouMean(String name, Collection<String> known) {
    String best = closest(name, known);
    return best == null ? "." : " (did you mean '" + best + "'?).";
  }

  /**
   * As {@link #didYouMean}, but only for a typo or a shortening: at most half the longer name's
   * length in edits ("max.batch" → "max.batch.size", not "port" → "model").
   */
  public static String didYouMeanIfClose(String name, Collection<String> known) {
    String best = closest(name, known);
    boolean close = best != null && distance(name, best) <= Math.max(2, Math.max(name.length(), best.length()) / 2);
    return close ? didYouMean(name, known) : ".";
  }

  private static String closest(String name, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitute, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
