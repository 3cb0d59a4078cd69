package io.loraflow.inference;

import java.util.ArrayList;
import java.util.List;

/** Softmax and top-k over one output row: the seed pipeline's {@code {labels, scores}}. */
public final class TopK {
  private TopK() {
  }

  /** The {@code k} best labels with their probabilities, descending (ties: lower index first). */
  public static Prediction of(float[] row, boolean logits, List<String> labels, int k) {
    double[] p = logits ? softmax(row) : toDouble(row);
    int n = Math.min(k, p.length);
    List<String> outLabels = new ArrayList<>(n);
    List<Double> scores = new ArrayList<>(n);
    boolean[] taken = new boolean[p.length];
    for (int i = 0; i < n; i++) {
      int best = -1;
      for (int j = 0; j < p.length; j++) {
        if (!taken[j] && (best < 0 || p[j] > p[best])) {
          best = j;
        }
      }
      taken[best] = true;
      outLabels.add(best < labels.size() ? labels.get(best) : "class_" + best);
      scores.add(p[best]);
    }
    return new Prediction(outLabels, scores);
  }

  static double[] softmax(float[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : row) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] out = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      out[i] = Math.exp(row[i] - max);
      sum += out[i];
    }
    for (int i = 0; i < out.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  private static double[] toDouble(float[] row) {
    double[] out = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      out[i] = row[i];
    }
    return out;
  }

  /** Labels and their scores, best first. */
  public record Prediction(List<String> labels, List<Double> scores) {
  }
}
