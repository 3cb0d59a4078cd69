#!/usr/bin/python3
"""Export a checkpoint to a loraflow model package (docs/model-package.md).

  /usr/bin/python3 tools/model/export.py --checkpoint CKPT --out DIR [--name N --version V]
      [--dataset fashion-mnist|digits|none] [--samples 300] [--parity 16] [--attention contrib|plain]
      [--input-dtype float32|uint8] [--precision fp32|fp16]
  /usr/bin/python3 tools/model/export.py --preset vit_b16 --random-init --num-classes 100 \
      --lora-length 10 --out /tmp/vit-b16 --parity 4      # ~330 MB, not committed

What it writes: model.onnx (opset 17, dynamic batch, input `pixel_values` NCHW float32, output
`logits`, LoRA merged into qkv; attention as ONNX Runtime's contrib com.microsoft.Attention unless
--attention plain), manifest.json, labels.txt, parity/ (reference inputs and PyTorch
logits, little-endian float32), samples/ (test images as PNG + labels.csv).
--input-dtype uint8 / --precision fp16: graph variants (variants.py): uint8 input normalised in
the graph (parity/inputs.u8 then), float16 weights and math with float32 logits.
"""
import argparse
import copy
import io
import json
import os
import sys
import warnings

# OpenMP busy-waiting wastes most of the CPU when the 2 cores are shared (measured 4x slower)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import variants
from vitlora import ViTLoRAClassifier, preset

OPSET = 17


# ------------------------------------------------------------------ ONNX helpers
def _onnx():
    try:
        import onnx  # Debian python3-onnx
        return onnx
    except ImportError:
        return None


# ------------------------------------------------------------------ contrib attention
ATTENTION_MODES = ("plain", "contrib")


class _ContribAttentionFn(torch.autograd.Function):
    """softmax((x·Wq+bq)(x·Wk+bk)ᵀ/√d)(x·Wv+bv) per head, i.e. timm's fused-qkv attention before
    the output projection. Exported as ONE com.microsoft `Attention` node (ORT contrib op:
    input [B,S,C], weights [C,3C] = qkv.weight transposed, bias [3C], num_heads; output [B,S,C])."""

    @staticmethod
    def forward(ctx, x, w, b, num_heads):
        B, N, C = x.shape
        qkv = (x @ w + b).reshape(B, N, 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q * (C // num_heads) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
        return (attn @ v).transpose(1, 2).reshape(B, N, C)

    @staticmethod
    def symbolic(g, x, w, b, num_heads):
        out = g.op("com.microsoft::Attention", x, w, b, num_heads_i=num_heads)
        out.setType(x.type())
        return out


class _ContribAttention(nn.Module):
    """Drop-in for vitlora.Attention (LoRA already merged) that exports as contrib Attention."""

    def __init__(self, attn):
        super().__init__()
        if attn.lora is not None:
            raise ValueError("merge LoRA before switching to contrib attention")
        self.num_heads = attn.num_heads
        C = attn.qkv.in_features
        # buffers become initializers: weights [C,3C] with no Transpose node in the graph
        self.register_buffer("qkv_weight_t", attn.qkv.weight.detach().t().contiguous())
        b = attn.qkv.bias
        self.register_buffer("qkv_bias", b.detach().clone() if b is not None else torch.zeros(3 * C))
        self.proj = attn.proj

    def forward(self, x, lora_ab=None):
        if lora_ab is not None:
            raise ValueError("contrib attention is for the merged single-task export only")
        return self.proj(_ContribAttentionFn.apply(x, self.qkv_weight_t, self.qkv_bias,
                                                   self.num_heads))


def use_contrib_attention(merged: ViTLoRAClassifier):
    """In place: every block's attention -> _ContribAttention (model must be LoRA-merged)."""
    for blk in merged.backbone.blocks:
        blk.attn = _ContribAttention(blk.attn)
    return merged


def export_onnx(model: ViTLoRAClassifier, path, doc=None, metadata=None, attention="contrib"):
    """Merge LoRA into qkv (on a copy) and export with a dynamic batch axis.
    attention="contrib": each block's qkv projection + attention is one com.microsoft `Attention`
    node (ONNX Runtime contrib op; see docs/benchmarks.md "Attention fusion"); "plain": standard
    ONNX ops only (MatMul/Reshape/Transpose/Softmax), runs on any ONNX runtime."""
    if attention not in ATTENTION_MODES:
        raise ValueError(f"attention must be one of {ATTENTION_MODES}, not {attention!r}")
    m = copy.deepcopy(model).merge_lora().eval()   # returned: plain layout, same state_dict keys
    exported, extra = m, {}
    if attention == "contrib":
        exported = use_contrib_attention(copy.deepcopy(m))
        extra = {"custom_opsets": {"com.microsoft": 1}}
    cfg = m.cfg
    x = torch.zeros(2, 3, cfg.img_size, cfg.img_size)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 has no shape inference for contrib ops (ORT infers it) and calls g.op deprecated
        warnings.filterwarnings("ignore", message=".*com.microsoft::Attention")
        warnings.filterwarnings("ignore", message=".*_graph_op' is deprecated")
        torch.onnx.export(exported, (x,), path, opset_version=OPSET, input_names=["pixel_values"],
                          output_names=["logits"], do_constant_folding=True,
                          dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
                          **extra)
    _finish_onnx(path, doc, metadata)
    return m


def _finish_onnx(path, doc=None, metadata=None):
    onnx = _onnx()
    if onnx is None:
        return
    mp = onnx.load(path)
    if doc:
        mp.doc_string = doc
    for k, v in (metadata or {}).items():
        e = mp.metadata_props.add()
        e.key, e.value = k, str(v)
    onnx.checker.check_model(mp)
    onnx.save(mp, path)


def dump_json(obj, path):
    """indent=2 JSON, but lists of numbers/strings kept on one line."""
    import re
    txt = json.dumps(obj, indent=2, ensure_ascii=False)
    txt = re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                 lambda m: "[" + re.sub(r"\s*\n\s*", " ", m.group(1)) + "]", txt)
    with open(path, "w") as f:
        f.write(txt + "\n")


def _f32(arr):
    return np.ascontiguousarray(np.asarray(arr, dtype="<f4"))


def write_parity(dirpath, model, inputs, extra=None, inputs_u8=None, precision="fp32"):
    """inputs: float tensor [N,3,H,W] (preprocessed). Writes meta.json, inputs.f32 (or, given
    inputs_u8 [N,3,H,W] uint8 that inputs were normalised from, inputs.u8), logits.f32."""
    os.makedirs(dirpath, exist_ok=True)
    model = model.eval()
    with torch.no_grad():
        logits = model(inputs)
    if inputs_u8 is None:
        files, dtype = ["inputs.f32", "logits.f32"], "float32"
        _f32(inputs.numpy()).tofile(os.path.join(dirpath, "inputs.f32"))
    else:
        files, dtype = ["inputs.u8", "logits.f32"], "uint8"
        np.ascontiguousarray(inputs_u8, dtype=np.uint8).tofile(os.path.join(dirpath, "inputs.u8"))
    _f32(logits.numpy()).tofile(os.path.join(dirpath, "logits.f32"))
    meta = {"count": int(inputs.shape[0]), "input_shape": list(inputs.shape),
            "num_classes": int(logits.shape[1]), "dtype": dtype, "byte_order": "little",
            "files": files, "precision": precision,
            "tolerance": variants.TOLERANCE[precision],
            "argmax": [int(i) for i in logits.argmax(1)]}
    meta.update(extra or {})
    dump_json(meta, os.path.join(dirpath, "meta.json"))
    return logits


def preprocess_block(cfg):
    return {
        "resize": cfg.resize,
        "resize_mode": "shorter_side",
        "interpolation": cfg.interpolation,
        "crop": [cfg.img_size, cfg.img_size],
        "mean": [round(v, 8) for v in cfg.mean],
        "std": [round(v, 8) for v in cfg.std],
        "channel_order": "RGB",
        "background": [255, 255, 255],
    }


def write_manifest(outdir, cfg, name, version, extra=None, model_file="model.onnx",
                   input_dtype="float32", precision="fp32"):
    man = {
        "name": name,
        "version": version,
        "model": model_file,
        "labels": "labels.txt",
        "input": {"name": "pixel_values", "layout": "NCHW", "dtype": input_dtype,
                  "shape": [-1, 3, cfg.img_size, cfg.img_size]},
        "precision": precision,
        "output": {"name": "logits", "kind": "logits"},
        "preprocess": preprocess_block(cfg),
        "architecture": {"family": "vit-timm-lora", "img_size": cfg.img_size,
                         "patch_size": cfg.patch_size, "embed_dim": cfg.embed_dim,
                         "depth": cfg.depth, "num_heads": cfg.num_heads,
                         "mlp_ratio": cfg.mlp_ratio, "pre_norm": cfg.pre_norm,
                         "num_classes": cfg.num_classes, "opset": OPSET},
        "parity": "parity",
        "tasks": {},
    }
    if extra:
        man.update(extra)
    dump_json(man, os.path.join(outdir, "manifest.json"))
    return man


def write_labels(path, classes):
    with open(path, "w") as f:
        for c in classes:
            f.write(c + "\n")


def write_samples(dirpath, images_u8, labels, classes):
    """images_u8: [N,H,W] grey or [N,H,W,3] uint8 -> NNNN.png + labels.csv (file,label)."""
    from PIL import Image
    os.makedirs(dirpath, exist_ok=True)
    names = []
    with open(os.path.join(dirpath, "labels.csv"), "w") as f:
        f.write("file,label\n")
        for i, (im, y) in enumerate(zip(images_u8, labels)):
            fn = f"{i + 1:04d}.png"
            Image.fromarray(np.asarray(im, dtype=np.uint8)).save(os.path.join(dirpath, fn),
                                                                  optimize=True)
            lab = classes[int(y)]
            f.write(f"{fn},{_csv(lab)}\n")
            names.append(fn)
    return names


def _csv(s):
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s


def load_samples_as_u8(dirpath, names, cfg):
    """The PNGs as the 8-bit model input [N,3,H,W] (grey -> RGB), as the service reads them."""
    from PIL import Image
    arrs = []
    for fn in names:
        im = Image.open(os.path.join(dirpath, fn)).convert("RGB")
        if im.size != (cfg.img_size, cfg.img_size):
            raise ValueError("sample PNGs are stored at the model resolution")
        arrs.append(np.asarray(im, dtype=np.uint8))
    return np.ascontiguousarray(np.stack(arrs).transpose(0, 3, 1, 2))


def normalise_u8(u8, cfg):
    """uint8 [N,3,H,W] -> the float model input: /255, minus mean, over std."""
    t = torch.from_numpy(u8.astype(np.float32) / 255.0)
    m = torch.tensor(cfg.mean).view(1, 3, 1, 1)
    s = torch.tensor(cfg.std).view(1, 3, 1, 1)
    return ((t - m) / s).contiguous().float()


def load_samples_as_inputs(dirpath, names, cfg):
    """Read PNGs back exactly as the service should (grey -> RGB, /255, mean/std)."""
    return normalise_u8(load_samples_as_u8(dirpath, names, cfg), cfg)


def export_package(model, outdir, name, version, samples=None, n_parity=16, extra_manifest=None,
                   parity_inputs=None, seed=0, attention="contrib", input_dtype="float32",
                   precision="fp32"):
    """samples: (uint8 images, labels) at model resolution, or None (then random parity
    inputs). input_dtype/precision: graph variants (variants.py). Returns the merged model used
    for the export."""
    os.makedirs(outdir, exist_ok=True)
    cfg = model.cfg
    merged = export_onnx(model, os.path.join(outdir, "model.onnx"),
                         doc=f"{name} {version}: timm-layout ViT, LoRA merged into qkv",
                         metadata={"loraflow.name": name, "loraflow.version": version,
                                   "loraflow.attention": attention},
                         attention=attention)
    if (input_dtype, precision) != ("float32", "fp32"):
        variants.apply(os.path.join(outdir, "model.onnx"), preprocess_block(cfg), input_dtype,
                       precision)
    write_labels(os.path.join(outdir, "labels.txt"), model.classes)
    extra, u8 = {}, None
    if samples is not None:
        imgs, labs = samples
        names = write_samples(os.path.join(outdir, "samples"), imgs, labs, model.classes)
        k = min(n_parity, len(names))
        u8 = load_samples_as_u8(os.path.join(outdir, "samples"), names[:k], cfg)
        inputs = normalise_u8(u8, cfg)
        extra = {"sources": [f"samples/{n}" for n in names[:k]],
                 "labels": [model.classes[int(y)] for y in labs[:k]]}
    elif parity_inputs is not None:
        if input_dtype == "uint8":
            raise ValueError("uint8 parity inputs come from samples or random pixels, not floats")
        inputs = parity_inputs
    elif input_dtype == "uint8":
        rng = np.random.default_rng(seed)
        u8 = rng.integers(0, 256, (n_parity, 3, cfg.img_size, cfg.img_size), dtype=np.uint8)
        inputs = normalise_u8(u8, cfg)
    else:
        g = torch.Generator().manual_seed(seed)
        inputs = torch.randn(n_parity, 3, cfg.img_size, cfg.img_size, generator=g)
    # reference logits come from the unmerged PyTorch model (the thing that was trained)
    ref = write_parity(os.path.join(outdir, "parity"), model, inputs,
                       dict(extra, model="model.onnx"),
                       inputs_u8=u8 if input_dtype == "uint8" else None, precision=precision)
    with torch.no_grad():
        d = (merged(inputs) - ref).abs().max().item()
    write_manifest(outdir, cfg, name, version, extra_manifest, input_dtype=input_dtype,
                   precision=precision)
    return merged, d


# ------------------------------------------------------------------ multi-task LoRA export
def lora_param_names(depth):
    names = []
    for i in range(depth):
        names += [f"blocks.{i}.attn.lora.lora_a.weight", f"blocks.{i}.attn.lora.lora_b.weight"]
    return names + ["fc.weight", "fc.bias"]


class _MultiTask(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, pixel_values, *p):
        d = len(self.backbone.blocks)
        lora = [(p[2 * i], p[2 * i + 1]) for i in range(d)]
        feat = self.backbone(pixel_values, lora)
        return F.linear(feat, p[2 * d], p[2 * d + 1])


def export_lora_base(foundation: ViTLoRAClassifier, path, example_rank=4):
    """Base graph: foundation backbone (its own LoRA merged), every LoRA A/B and the head as
    overridable initializers (graph input + same-name initializer). Defaults: rank-0 (empty) LoRA
    so the branch is a no-op, and the foundation's head. Dims: lora_rank, num_classes symbolic."""
    onnx = _onnx()
    if onnx is None:
        raise RuntimeError("multi-task export needs Debian python3-onnx (tools/model/setup.sh)")
    from onnx import numpy_helper
    base = copy.deepcopy(foundation).merge_lora().eval()
    cfg = base.cfg
    D, depth = cfg.embed_dim, cfg.depth
    names = lora_param_names(depth)
    g = torch.Generator().manual_seed(0)
    ex = []
    for i in range(depth):
        ex += [torch.randn(example_rank, D, generator=g) * 0.01,
               torch.randn(3 * D, example_rank, generator=g) * 0.01]
    ex += [base.head.fc.weight.detach().clone(), base.head.fc.bias.detach().clone()]
    dyn = {"pixel_values": {0: "batch"}, "logits": {0: "batch", 1: "num_classes"},
           "fc.weight": {0: "num_classes"}, "fc.bias": {0: "num_classes"}}
    for i in range(depth):
        dyn[names[2 * i]] = {0: "lora_rank"}
        dyn[names[2 * i + 1]] = {1: "lora_rank"}
    x = torch.zeros(2, 3, cfg.img_size, cfg.img_size)
    wrapper = _MultiTask(base.backbone).eval()
    with torch.no_grad():
        torch.onnx.export(wrapper, (x, *ex), path, opset_version=OPSET,
                          input_names=["pixel_values"] + names, output_names=["logits"],
                          dynamic_axes=dyn, do_constant_folding=True)
    mp = onnx.load(path)
    got = [i.name for i in mp.graph.input]
    if got != ["pixel_values"] + names:
        raise RuntimeError(f"unexpected graph inputs {got}")
    defaults = {}
    for i in range(depth):
        defaults[names[2 * i]] = np.zeros((0, D), np.float32)
        defaults[names[2 * i + 1]] = np.zeros((3 * D, 0), np.float32)
    defaults["fc.weight"] = base.head.fc.weight.detach().numpy().astype(np.float32)
    defaults["fc.bias"] = base.head.fc.bias.detach().numpy().astype(np.float32)
    existing = {t.name for t in mp.graph.initializer}
    for n, arr in defaults.items():
        if n in existing:
            raise RuntimeError(f"initializer {n} already present")
        mp.graph.initializer.append(numpy_helper.from_array(arr, n))
    mp.doc_string = ("loraflow multi-task LoRA base graph: overridable initializers " +
                     ", ".join(names))
    e = mp.metadata_props.add()
    e.key, e.value = "loraflow.overridable", json.dumps(names)
    onnx.checker.check_model(mp)
    onnx.save(mp, path)
    return base, names


def adapter_params(task_model: ViTLoRAClassifier, include_lora=True):
    """name -> float32 array for one task (seed key names; head as fc.weight/fc.bias)."""
    out = {}
    if include_lora:
        for i, blk in enumerate(task_model.backbone.blocks):
            lo = blk.attn.lora
            if lo is None:
                raise ValueError("task model has no LoRA modules")
            out[f"blocks.{i}.attn.lora.lora_a.weight"] = lo.lora_a.weight.detach().numpy()
            out[f"blocks.{i}.attn.lora.lora_b.weight"] = lo.lora_b.weight.detach().numpy()
    out["fc.weight"] = task_model.head.fc.weight.detach().numpy()
    out["fc.bias"] = task_model.head.fc.bias.detach().numpy()
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def write_onnx_adapter(path, params, adapter_version=1, model_version=1):
    import adapter_format
    adapter_format.write_adapter(path, params, adapter_version, model_version)


# ------------------------------------------------------------------ CLI
def main(argv=None):
    from checkpoint import load_checkpoint
    import data as D
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="seed .pt / timm .pt / .safetensors")
    ap.add_argument("--preset", help="architecture preset (with --random-init, or to supply "
                    "heads/eps/mean/std for a plain timm checkpoint)")
    ap.add_argument("--random-init", action="store_true", help="random weights of --preset")
    ap.add_argument("--num-classes", type=int)
    ap.add_argument("--lora-length", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--dataset", choices=["fashion-mnist", "digits", "none"], default="none",
                    help="write samples/ from this dataset's test split; parity uses them")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--parity", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--attention", choices=ATTENTION_MODES, default="contrib",
                    help="model.onnx attention: contrib (default) = one ONNX Runtime "
                    "com.microsoft.Attention node per block (faster on ORT CPU); plain = standard "
                    "ONNX ops only, for other runtimes")
    ap.add_argument("--input-dtype", choices=variants.INPUT_DTYPES, default="float32",
                    help="uint8: the graph takes the 8-bit pixels (NCHW) and normalises them "
                    "itself; 4x less input to copy per run")
    ap.add_argument("--precision", choices=variants.PRECISIONS, default="fp32",
                    help="fp16: float16 weights and math, float32 input and logits")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    if args.random_init:
        if not args.preset:
            sys.exit("--random-init needs --preset")
        cfg = preset(args.preset, num_classes=args.num_classes, lora_length=args.lora_length,
                     num_heads=args.heads)
        model = ViTLoRAClassifier(cfg)
        with torch.no_grad():  # a random but non-trivial LoRA so merging is exercised
            for blk in model.backbone.blocks:
                if blk.attn.lora is not None:
                    blk.attn.lora.lora_b.weight.normal_(0, 0.02)
    elif args.checkpoint:
        model = load_checkpoint(args.checkpoint, preset(args.preset) if args.preset else None,
                                num_heads=args.heads)
    else:
        sys.exit("give --checkpoint or --preset with --random-init")
    samples = None
    if args.dataset == "fashion-mnist":
        x, y = D.load_fashion("test")
        samples = (x[:args.samples], y[:args.samples])
    elif args.dataset == "digits":
        x, y = D.load_digits("test")
        samples = (x[:args.samples], y[:args.samples])
    name = args.name or os.path.basename(os.path.abspath(args.out))
    _, d = export_package(model, args.out, name, args.version, samples, args.parity, seed=args.seed,
                          attention=args.attention, input_dtype=args.input_dtype,
                          precision=args.precision)
    size = os.path.getsize(os.path.join(args.out, "model.onnx"))
    print(f"exported {args.out}: model.onnx {size / 1e6:.1f} MB, {model.cfg.num_classes} classes, "
          f"merged-vs-unmerged max |diff| {d:.2e}")


if __name__ == "__main__":
    main()
