package io.loraflow.inference;

import com.google.flatbuffers.FlatBufferBuilder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads task adapters: ONNX Runtime's {@code .onnx_adapter} files as they are, and
 * {@code .safetensors} files converted in memory to the same FlatBuffer (schema
 * {@code onnxruntime/lora/adapter_format/adapter_schema.fbs}: {@code Adapter{format_version,
 * adapter_version, model_version, parameters:[Parameter{name, dims, data_type, raw_data}]}},
 * file identifier "TORT").
 */
public final class AdapterFiles {
  private static final int FORMAT_VERSION = 1;

  private AdapterFiles() {
  }

  /** One parameter: its name, dims, ONNX data type number and little-endian bytes. */
  public record Parameter(String name, long[] dims, int onnxType, byte[] raw) {
  }

  /** The bytes {@code OrtLoraAdapter.create} takes, whatever the file's format. */
  public static byte[] read(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    byte[] bytes = Files.readAllBytes(file);
    return name.endsWith(".safetensors") ? write(fromSafetensors(bytes, file.toString())) : bytes;
  }

  /**
   * Parses a safetensors file: an 8-byte little-endian header length, a JSON header
   * {@code name → {dtype, shape, data_offsets}}, then the tensors' bytes.
   */
  public static List<Parameter> fromSafetensors(byte[] bytes, String source) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = b.getLong();
    if (headerLength <= 0 || headerLength > bytes.length - 8) {
      throw new IllegalArgumentException(source + ": not a safetensors file (bad header length)");
    }
    JsonObject header = new JsonObject(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
    int dataStart = 8 + (int) headerLength;
    List<Parameter> params = new ArrayList<>();
    for (String name : header.fieldNames()) {
      if (name.equals("__metadata__")) {
        continue;
      }
      JsonObject t = header.getJsonObject(name);
      int type = switch (t.getString("dtype")) {
        case "F32" -> 1;
        case "F16" -> 10;
        case "BF16" -> 16;
        case "F64" -> 11;
        default -> throw new IllegalArgumentException(source + ": tensor " + name + " has dtype "
            + t.getString("dtype") + "; adapters take F32, F16, BF16 or F64");
      };
      JsonArray shape = t.getJsonArray("shape");
      long[] dims = new long[shape.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = shape.getLong(i);
      }
      JsonArray offsets = t.getJsonArray("data_offsets");
      int from = dataStart + offsets.getInteger(0);
      int to = dataStart + offsets.getInteger(1);
      if (from < dataStart || to > bytes.length || to < from) {
        throw new IllegalArgumentException(source + ": tensor " + name + " lies outside the file");
      }
      byte[] raw = new byte[to - from];
      System.arraycopy(bytes, from, raw, 0, raw.length);
      params.add(new Parameter(name, dims, type, raw));
    }
    return params;
  }

  /** Serialises parameters as an {@code .onnx_adapter} FlatBuffer. */
  public static byte[] write(List<Parameter> params) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int[] tables = new int[params.size()];
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      b.startVector(1, p.raw().length, 8); // raw_data: force_align 8
      for (int k = p.raw().length - 1; k >= 0; k--) {
        b.addByte(p.raw()[k]);
      }
      int raw = b.endVector();
      b.startVector(8, p.dims().length, 8);
      for (int k = p.dims().length - 1; k >= 0; k--) {
        b.addLong(p.dims()[k]);
      }
      int dims = b.endVector();
      int name = b.createString(p.name());
      b.startTable(4);
      b.addOffset(0, name, 0);
      b.addOffset(1, dims, 0);
      b.addInt(2, p.onnxType(), 0);
      b.addOffset(3, raw, 0);
      tables[i] = b.endTable();
    }
    int vector = b.createVectorOfTables(tables);
    b.startTable(4);
    b.addInt(0, FORMAT_VERSION, 0);
    b.addInt(1, 1, 0);
    b.addInt(2, 1, 0);
    b.addOffset(3, vector, 0);
    b.finish(b.endTable(), "TORT");
    return b.sizedByteArray();
  }
}
