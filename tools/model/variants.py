#!/usr/bin/python3
"""Graph variants of an exported model.onnx: uint8 input with normalisation in the graph, fp16.

  /usr/bin/python3 tools/model/variants.py --from models/fashion-mnist --out DIR \
      [--input-dtype uint8] [--precision fp16] [--name N]

Both are rewrites of the exported ONNX graph (the same weights, no PyTorch run), so export.py
applies them after its torch export and this CLI applies them to an existing package:

- `--input-dtype uint8`: the graph input becomes uint8 NCHW (same name and shape, the 8-bit
  samples after resize and crop, in the manifest's channel order) and the graph computes
  `(x / 255 - mean) / std` itself, in float32, with the manifest's mean/std. The service then
  writes one byte per value instead of a float: 4x less to copy into every run.
- `--precision fp16`: every float initializer and constant becomes float16 and the graph
  computes in float16 between a Cast after the input and a Cast before the logits, which stay
  float32, so the package contract (float32 or uint8 in, float32 logits out) does not change.
  ONNX Runtime's CPU provider runs nodes that have no float16 kernel in float32 behind casts
  it inserts itself; the CUDA provider runs them all in float16.

The CLI copies the package's manifest, labels and single-task model (not the multi-task base
graph or adapters), sets `input.dtype` and `precision` in the manifest, and rewrites parity/:
uint8 inputs are the source images' bytes (the float inputs were derived from them exactly),
logits stay the PyTorch references, and the tolerance is the variant's.
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np

INPUT_DTYPES = ("float32", "uint8")
PRECISIONS = ("fp32", "fp16")
# Parity tolerance per precision (max |ONNX Runtime - PyTorch| over the reference logits): fp32
# is the exporter's 1e-4; fp16 weights and activations are rounded to 11 significant bits.
TOLERANCE = {"fp32": {"abs": 1e-4, "rel": 1e-3}, "fp16": {"abs": 5e-2, "rel": 5e-2}}


def _onnx():
    import onnx  # Debian python3-onnx
    return onnx


def _rename_input_uses(graph, old, new):
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new


def uint8_input(mp, mean, std):
    """In place: graph input 0 becomes uint8; Cast, /255, -mean, /std (per channel, float32) feed
    what the float input fed. mean/std are in the graph's channel order."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper
    g = mp.graph
    inp = g.input[0]
    if inp.type.tensor_type.elem_type != TensorProto.FLOAT:
        raise ValueError(f"input {inp.name} is not float32")
    name = inp.name
    normalised = name + "/normalised"
    _rename_input_uses(g, name, normalised)
    inp.type.tensor_type.elem_type = TensorProto.UINT8
    consts = {
        "loraflow.pixel_scale": np.array(255.0, np.float32),
        "loraflow.pixel_mean": np.asarray(mean, np.float32).reshape(1, 3, 1, 1),
        "loraflow.pixel_std": np.asarray(std, np.float32).reshape(1, 3, 1, 1),
    }
    for n, arr in consts.items():
        g.initializer.append(numpy_helper.from_array(arr, n))
    # The same float32 operations, in the same order, as the service's float preprocessing
    # (Preprocessor: (v / 255f - mean) / std), so the two inputs agree to the last bit.
    nodes = [
        helper.make_node("Cast", [name], [name + "/float"], to=TensorProto.FLOAT,
                         name="loraflow/cast_pixels"),
        helper.make_node("Div", [name + "/float", "loraflow.pixel_scale"], [name + "/unit"],
                         name="loraflow/div_255"),
        helper.make_node("Sub", [name + "/unit", "loraflow.pixel_mean"], [name + "/centred"],
                         name="loraflow/sub_mean"),
        helper.make_node("Div", [name + "/centred", "loraflow.pixel_std"], [normalised],
                         name="loraflow/div_std"),
    ]
    for node in reversed(nodes):
        g.node.insert(0, node)
    return mp


def to_fp16(mp):
    """In place: float32 initializers, Constant and ConstantOfShape values, Cast targets and
    value_info types become float16; the float32 input gets a Cast to float16 and the float32
    outputs a Cast back, so the graph's interface is unchanged."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper
    g = mp.graph
    F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16

    def half(t):
        if t.data_type == F32:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))

    for t in g.initializer:
        half(t)
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                half(a.t)
            if node.op_type == "Cast" and a.name == "to" and a.i == F32:
                a.i = F16
    for vi in g.value_info:
        if vi.type.tensor_type.elem_type == F32:
            vi.type.tensor_type.elem_type = F16
    for inp in g.input:
        if inp.type.tensor_type.elem_type == F32:
            inner = inp.name + "/fp16"
            _rename_input_uses(g, inp.name, inner)
            g.node.insert(0, helper.make_node("Cast", [inp.name], [inner], to=F16,
                                              name=f"loraflow/{inp.name}_to_fp16"))
    for out in g.output:
        if out.type.tensor_type.elem_type == F32:
            inner = out.name + "/fp16"
            for node in g.node:
                for i, name in enumerate(node.output):
                    if name == out.name:
                        node.output[i] = inner
            g.node.append(helper.make_node("Cast", [inner], [out.name], to=F32,
                                           name=f"loraflow/{out.name}_to_fp32"))
    return mp


def graph_mean_std(preprocess):
    """The manifest's mean/std (given per RGB channel) in the graph's channel order."""
    mean, std = list(preprocess["mean"]), list(preprocess["std"])
    if preprocess.get("channel_order", "RGB").upper() == "BGR":
        mean, std = mean[::-1], std[::-1]
    return mean, std


def apply(path, preprocess, input_dtype="float32", precision="fp32"):
    """Rewrites the model file at path in place; returns the metadata it recorded."""
    if input_dtype not in INPUT_DTYPES:
        raise ValueError(f"input dtype must be one of {INPUT_DTYPES}, not {input_dtype!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    onnx = _onnx()
    mp = onnx.load(path)
    if precision == "fp16":
        to_fp16(mp)  # first: the uint8 normalisation in front of it stays float32
    if input_dtype == "uint8":
        uint8_input(mp, *graph_mean_std(preprocess))
    meta = {"loraflow.input_dtype": input_dtype, "loraflow.precision": precision}
    kept = [p for p in mp.metadata_props if p.key not in meta]
    del mp.metadata_props[:]
    mp.metadata_props.extend(kept)
    for k, v in meta.items():
        e = mp.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(mp)
    onnx.save(mp, path)
    return meta


def u8_inputs_from_sources(pkg_dir, sources, preprocess):
    """The 8-bit model input of each source image (stored at model resolution), channel-major
    in the manifest's channel order: exactly what the float parity inputs were computed from."""
    from PIL import Image
    rows = []
    for src in sources:
        a = np.asarray(Image.open(os.path.join(pkg_dir, src)).convert("RGB"), dtype=np.uint8)
        if preprocess.get("channel_order", "RGB").upper() == "BGR":
            a = a[:, :, ::-1]
        rows.append(np.ascontiguousarray(a.transpose(2, 0, 1)))
    return np.stack(rows)


def derive_package(src, out, input_dtype, precision, name=None):
    """Copies the single-task package at src to out as the given variant (see the module doc)."""
    from export import dump_json
    with open(os.path.join(src, "manifest.json")) as f:
        man = json.load(f)
    if man["input"].get("dtype", "float32") != "float32":
        raise ValueError(f"{src}: derive variants from a float32 package")
    os.makedirs(os.path.join(out, "parity"), exist_ok=True)
    shutil.copyfile(os.path.join(src, man.get("model", "model.onnx")), os.path.join(out, "model.onnx"))
    shutil.copyfile(os.path.join(src, man.get("labels", "labels.txt")), os.path.join(out, "labels.txt"))
    apply(os.path.join(out, "model.onnx"), man["preprocess"], input_dtype, precision)
    with open(os.path.join(src, "parity", "meta.json")) as f:
        meta = json.load(f)
    files = ["inputs.f32", "logits.f32"]
    if input_dtype == "uint8":
        if not meta.get("sources"):
            raise ValueError(f"{src}: uint8 parity needs parity inputs made from images (sources)")
        u8 = u8_inputs_from_sources(src, meta["sources"], man["preprocess"])
        u8.tofile(os.path.join(out, "parity", "inputs.u8"))
        files = ["inputs.u8", "logits.f32"]
    else:
        shutil.copyfile(os.path.join(src, "parity", "inputs.f32"), os.path.join(out, "parity", "inputs.f32"))
    shutil.copyfile(os.path.join(src, "parity", "logits.f32"), os.path.join(out, "parity", "logits.f32"))
    if meta.get("sources"):  # the few reference images come along: the package stands alone
        os.makedirs(os.path.join(out, "samples"), exist_ok=True)
        for s in meta["sources"]:
            shutil.copyfile(os.path.join(src, s), os.path.join(out, "samples", os.path.basename(s)))
        meta["sources"] = ["samples/" + os.path.basename(s) for s in meta["sources"]]
    meta.update({"dtype": input_dtype, "files": files, "tolerance": TOLERANCE[precision],
                 "precision": precision})
    dump_json(meta, os.path.join(out, "parity", "meta.json"))
    man["input"]["dtype"] = input_dtype
    man["precision"] = precision
    man["model"], man["labels"] = "model.onnx", "labels.txt"
    man["name"] = name or f"{man['name']}-{input_dtype}-{precision}"
    man["derived_from"] = os.path.basename(os.path.abspath(src))
    man["tasks"] = {}
    for key in ("lora_base_model", "default_task", "lora_parameters"):
        man.pop(key, None)
    dump_json(man, os.path.join(out, "manifest.json"))
    return man


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", required=True, help="a float32 model package")
    ap.add_argument("--out", required=True)
    ap.add_argument("--input-dtype", choices=INPUT_DTYPES, default="float32")
    ap.add_argument("--precision", choices=PRECISIONS, default="fp32")
    ap.add_argument("--name")
    args = ap.parse_args(argv)
    man = derive_package(args.src, args.out, args.input_dtype, args.precision, args.name)
    size = os.path.getsize(os.path.join(args.out, "model.onnx"))
    print(f"wrote {args.out}: {man['name']}, input {args.input_dtype}, {args.precision}, "
          f"model.onnx {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
