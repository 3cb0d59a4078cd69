"""Checkpoint I/O for the timm-layout ViT + LoRA classifier.

Formats read:
  * the seed's `pytorch_model.pt`: {"backbone_weight": {timm keys + blocks.N.attn.lora.lora_a/b},
    "head_weight": {"fc.weight", "fc.bias"}, "CLASSES": [...], optional backbone_cfg/head_cfg}
  * a plain timm state dict (`head.weight`/`head.bias` become the head; `fc_norm`/pre-logits
    are not supported and are reported as unknown keys)
  * `.safetensors` (own reader, no dependency), holding either a plain timm state dict or the
    seed layout flattened as `backbone_weight.<key>` / `head_weight.<key>`.
Unknown or missing keys raise CheckpointError listing them.
"""
import json
import os
import struct

import numpy as np
import torch

from vitlora import ViTConfig, ViTLoRAClassifier, preset


class CheckpointError(ValueError):
    pass


# ---------------------------------------------------------------- safetensors
_ST_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
    "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}


def read_safetensors(path):
    """Returns (dict name -> torch.Tensor, metadata dict). Supports BF16 via bit shifting."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise CheckpointError(f"{path}: too short for safetensors")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > len(raw) - 8:
        raise CheckpointError(f"{path}: header length {hlen} beyond file size")
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        buf = raw[base + b: base + e]
        if dt == "BF16":
            u16 = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        elif dt in _ST_DTYPES:
            arr = np.frombuffer(buf, dtype=np.dtype(_ST_DTYPES[dt]).newbyteorder("<"))
        else:
            raise CheckpointError(f"{path}: tensor {name}: unsupported dtype {dt}")
        out[name] = torch.from_numpy(arr.reshape(shape).astype(arr.dtype.newbyteorder("=")))
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    rev = {np.dtype(v): k for k, v in _ST_DTYPES.items()}
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().cpu().contiguous().numpy()
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": rev[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- seed layout
def save_seed_checkpoint(model: ViTLoRAClassifier, path, extra=None):
    sd = model.state_dict()
    ckpt = {
        "backbone_weight": {k[len("backbone."):]: v for k, v in sd.items()
                            if k.startswith("backbone.")},
        "head_weight": {k[len("head."):]: v for k, v in sd.items() if k.startswith("head.")},
        "CLASSES": list(model.classes),
        "backbone_cfg": model.cfg.to_dict(),
        "head_cfg": {"num_classes": model.cfg.num_classes, "dim": model.cfg.embed_dim},
    }
    if extra:
        ckpt.update(extra)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(ckpt, path)


def _split_state(sd):
    """A flat dict in any accepted layout -> (backbone dict, head dict, classes or None)."""
    if "backbone_weight" in sd and isinstance(sd["backbone_weight"], dict):
        return dict(sd["backbone_weight"]), dict(sd.get("head_weight") or {}), sd.get("CLASSES")
    if "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    elif "model" in sd and isinstance(sd["model"], dict):
        sd = sd["model"]
    bb, hd = {}, {}
    for k, v in sd.items():
        if not torch.is_tensor(v):
            continue
        if k.startswith("backbone_weight."):
            bb[k[len("backbone_weight."):]] = v
        elif k.startswith("head_weight."):
            hd[k[len("head_weight."):]] = v
        elif k.startswith("head."):              # plain timm head
            hd["fc." + k[len("head."):]] = v
        else:
            bb[k] = v
    return bb, hd, None


def infer_config(bb, hd, base: ViTConfig = None):
    """Infer architecture numbers from tensor shapes; `base` provides the rest (heads, eps...)."""
    cfg = ViTConfig(**(base.to_dict() if base else {}))
    try:
        w = bb["patch_embed.proj.weight"]
        cfg.embed_dim, cfg.in_chans, cfg.patch_size = int(w.shape[0]), int(w.shape[1]), int(w.shape[2])
        n = int(bb["pos_embed"].shape[1]) - 1
        cfg.img_size = int(round(n ** 0.5)) * cfg.patch_size
    except KeyError as e:
        raise CheckpointError(f"missing keys: [{e.args[0]!r}]") from None
    # depth from any blocks.N.* key, so a renamed key is reported rather than cutting the depth
    idx = [int(k.split(".")[1]) for k in bb if k.startswith("blocks.") and k.split(".")[1].isdigit()]
    cfg.depth = max(idx) + 1 if idx else 0
    cfg.pre_norm = "norm_pre.weight" in bb
    cfg.qkv_bias = any(k.endswith(".attn.qkv.bias") for k in bb)
    fc1 = next((v for k, v in sorted(bb.items()) if k.endswith(".mlp.fc1.weight")), None)
    if fc1 is not None:
        cfg.mlp_ratio = fc1.shape[0] / cfg.embed_dim
    la = next((v for k, v in sorted(bb.items()) if k.endswith(".attn.lora.lora_a.weight")), None)
    cfg.lora_length = int(la.shape[0]) if la is not None else 0
    if "fc.weight" in hd:
        cfg.num_classes = int(hd["fc.weight"].shape[0])
    if cfg.embed_dim % cfg.num_heads:
        # e.g. a base preset of 12 heads with dim 64: pick 64-dim heads when possible
        cfg.num_heads = max(1, cfg.embed_dim // 64)
    return cfg


def load_checkpoint(path, base_cfg: ViTConfig = None, num_heads=None, strict_head=True):
    """Load any accepted checkpoint into a ViTLoRAClassifier. `base_cfg` (e.g. a preset) gives
    what the shapes cannot (heads, eps, act, preprocessing); the shapes give the rest."""
    if str(path).endswith(".safetensors"):
        sd, meta = read_safetensors(path)
        bb, hd, classes = _split_state(sd)
        if "CLASSES" in meta:
            classes = json.loads(meta["CLASSES"])
        cfg_dict = json.loads(meta["backbone_cfg"]) if "backbone_cfg" in meta else None
    else:
        sd = torch.load(path, map_location="cpu")
        if not isinstance(sd, dict):
            raise CheckpointError(f"{path}: not a dict checkpoint ({type(sd).__name__})")
        bb, hd, classes = _split_state(sd)
        cfg_dict = sd.get("backbone_cfg") if isinstance(sd.get("backbone_cfg"), dict) else None
    if base_cfg is None and cfg_dict:
        known = set(ViTConfig().to_dict())
        base_cfg = ViTConfig(**{k: v for k, v in cfg_dict.items() if k in known})
    cfg = infer_config(bb, hd, base_cfg)
    if num_heads:
        cfg.num_heads = num_heads
    if not hd and strict_head:
        raise CheckpointError("missing keys: ['fc.weight', 'fc.bias'] (no head in checkpoint)")
    model = ViTLoRAClassifier(cfg, classes)
    if classes is not None and len(classes) != cfg.num_classes:
        raise CheckpointError(f"CLASSES has {len(classes)} names but the head has "
                              f"{cfg.num_classes} outputs")
    _load_into(model.backbone, bb, "backbone")
    if hd:
        _load_into(model.head, hd, "head")
    return model


def _load_into(module, sd, what):
    own = module.state_dict()
    unknown = sorted(set(sd) - set(own))
    missing = sorted(set(own) - set(sd))
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown keys: {unknown}")
        if missing:
            parts.append(f"missing keys: {missing}")
        raise CheckpointError(f"{what}: " + "; ".join(parts))
    bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in sd.items() if tuple(v.shape) != tuple(own[k].shape)]
    if bad:
        raise CheckpointError(f"{what}: shape mismatch: " + "; ".join(bad))
    module.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
