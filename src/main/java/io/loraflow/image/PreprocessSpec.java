package io.loraflow.image;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The manifest's {@code preprocess} section (docs/model-package.md), validated. The output is
 * always {@code 3 × cropHeight × cropWidth}.
 *
 * @param resizeMode {@code SHORTER_SIDE}: the shorter side becomes {@code resizeHeight} (equal
 *     to {@code resizeWidth}), torchvision {@code Resize(int)}; {@code EXACT}: resize to
 *     {@code resizeHeight × resizeWidth}
 * @param background RGB 0–255 that transparent pixels are composited onto
 */
public record PreprocessSpec(
    ResizeMode resizeMode,
    int resizeHeight,
    int resizeWidth,
    Interpolation interpolation,
    int cropHeight,
    int cropWidth,
    float[] mean,
    float[] std,
    boolean bgr,
    int[] background) {

  public enum ResizeMode { SHORTER_SIDE, EXACT }

  /** PIL filters: triangle (support 1) and cubic with a = -0.5 (support 2). */
  public enum Interpolation { BILINEAR, BICUBIC }

  public PreprocessSpec {
    require(resizeHeight > 0 && resizeWidth > 0, "resize", "sizes must be > 0");
    require(cropHeight > 0 && cropWidth > 0, "crop", "sizes must be > 0");
    require(mean.length == 3, "mean", "needs 3 values");
    require(std.length == 3, "std", "needs 3 values");
    for (float s : std) {
      require(s > 0 && Float.isFinite(s), "std", "values must be > 0");
    }
    require(background.length == 3, "background", "needs 3 values");
    for (int v : background) {
      require(v >= 0 && v <= 255, "background", "values must be 0-255");
    }
    mean = mean.clone();
    std = std.clone();
    background = background.clone();
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public int[] background() {
    return background.clone();
  }

  /**
   * Parses a manifest {@code preprocess} object.
   *
   * @throws IllegalArgumentException naming the offending field
   */
  public static PreprocessSpec fromJson(JsonObject json) {
    Object resize = json.getValue("resize");
    int[] size = ints(resize, "resize", 1, 2);
    String defaultMode = resize instanceof JsonArray ? "exact" : "shorter_side";
    ResizeMode mode = choice(ResizeMode.class, json, "resize_mode", defaultMode);
    require(mode == ResizeMode.EXACT || size.length == 1, "resize",
        "shorter_side takes one number");
    int rh = size[0];
    int rw = size.length == 2 ? size[1] : size[0];
    int[] crop = json.containsKey("crop") ? ints(json.getValue("crop"), "crop", 1, 2)
        : new int[] {rh, rw};
    require(json.containsKey("crop") || mode == ResizeMode.EXACT, "crop",
        "required with resize_mode shorter_side");
    String order = json.getString("channel_order", "RGB").toUpperCase(Locale.ROOT);
    require(order.equals("RGB") || order.equals("BGR"), "channel_order", "must be RGB or BGR");
    return new PreprocessSpec(mode, rh, rw,
        choice(Interpolation.class, json, "interpolation", "bilinear"),
        crop[0], crop.length == 2 ? crop[1] : crop[0],
        floats(json, "mean", 0f), floats(json, "std", 1f), order.equals("BGR"),
        json.containsKey("background") ? ints(json.getValue("background"), "background", 3, 3)
            : new int[] {255, 255, 255});
  }

  private static <E extends Enum<E>> E choice(Class<E> type, JsonObject json, String field,
      String fallback) {
    Object value = json.getValue(field, fallback);
    try {
      return Enum.valueOf(type, String.valueOf(value).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("preprocess." + field + ": unknown value " + value);
    }
  }

  private static int[] ints(Object value, String field, int minCount, int maxCount) {
    JsonArray array = value instanceof JsonArray a ? a : new JsonArray().add(value);
    require(array.size() >= minCount && array.size() <= maxCount, field,
        "needs " + minCount + (maxCount > minCount ? "-" + maxCount : "") + " integers");
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = array.getValue(i);
      require(v instanceof Integer || v instanceof Long, field, "must be integers");
      out[i] = ((Number) v).intValue();
    }
    return out;
  }

  private static float[] floats(JsonObject json, String field, float fallback) {
    if (!json.containsKey(field)) {
      return new float[] {fallback, fallback, fallback};
    }
    Object value = json.getValue(field);
    require(value instanceof JsonArray, field, "must be an array of 3 numbers");
    JsonArray array = (JsonArray) value;
    require(array.size() == 3, field, "needs 3 values");
    float[] out = new float[3];
    for (int i = 0; i < 3; i++) {
      require(array.getValue(i) instanceof Number, field, "must be numbers");
      out[i] = array.getNumber(i).floatValue();
    }
    return out;
  }

  private static void require(boolean ok, String field, String why) {
    if (!ok) {
      throw new IllegalArgumentException("preprocess." + field + ": " + why);
    }
  }
}
