"""timm-layout Vision Transformer with LoRA on the fused qkv projection.

Layout (matches ModelScope's vision-efficient-tuning LoRA classifier and timm):
  patch_embed.proj (Conv2d), cls_token, pos_embed, [norm_pre], blocks.N.{norm1, attn.qkv,
  attn.lora.lora_a, attn.lora.lora_b, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm; head `fc`.
LoRA: delta = lora_b(lora_a(x)) added to the qkv output (scale 1.0, no alpha, no dropout).
"""
import math
from dataclasses import dataclass, field, asdict
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
FASHION_MEAN = [0.2860, 0.2860, 0.2860]
FASHION_STD = [0.3530, 0.3530, 0.3530]


@dataclass
class ViTConfig:
    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    pre_norm: bool = False
    eps: float = 1e-6
    act: str = "gelu"            # "gelu" (exact erf) or "quick_gelu" (OpenAI CLIP)
    lora_length: int = 10        # 0 = no LoRA modules
    num_classes: int = 1000
    # preprocessing defaults that travel into manifest.json
    mean: List[float] = field(default_factory=lambda: list(IMAGENET_MEAN))
    std: List[float] = field(default_factory=lambda: list(IMAGENET_STD))
    resize: int = 256
    interpolation: str = "bilinear"

    def to_dict(self):
        return asdict(self)


PRESETS = {
    # the seed's backbone: ViT-B/16 224 px (timm vit_base_patch16_224)
    "vit_b16": dict(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12,
                    resize=256),
    # CLIP ViT-L/14 (timm vit_large_patch14_clip_224): pre-norm, CLIP mean/std
    "vit_l14_clip": dict(img_size=224, patch_size=14, embed_dim=1024, depth=24, num_heads=16,
                         pre_norm=True, eps=1e-5, mean=list(CLIP_MEAN), std=list(CLIP_STD),
                         resize=224, interpolation="bicubic"),
    # small ones
    "vit_ti16": dict(img_size=224, patch_size=16, embed_dim=192, depth=12, num_heads=3,
                     resize=256),
    "vit_s16": dict(img_size=224, patch_size=16, embed_dim=384, depth=12, num_heads=6,
                    resize=256),
    # the bundled 28 px model (Fashion-MNIST foundation)
    "vit_mnist": dict(img_size=28, patch_size=7, embed_dim=64, depth=4, num_heads=4,
                      mlp_ratio=4.0, lora_length=4, num_classes=10, resize=28,
                      mean=list(FASHION_MEAN), std=list(FASHION_STD)),
}


def preset(name, **overrides):
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {sorted(PRESETS)}")
    kw = dict(PRESETS[name])
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return ViTConfig(**kw)


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.proj = nn.Conv2d(cfg.in_chans, cfg.embed_dim, cfg.patch_size, cfg.patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class LoRA(nn.Module):
    def __init__(self, dim, rank):
        super().__init__()
        self.lora_a = nn.Linear(dim, rank, bias=False)
        self.lora_b = nn.Linear(rank, 3 * dim, bias=False)
        nn.init.kaiming_uniform_(self.lora_a.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_b.weight)

    def forward(self, x):
        return self.lora_b(self.lora_a(x))


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_heads = cfg.num_heads
        self.head_dim = cfg.embed_dim // cfg.num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(cfg.embed_dim, 3 * cfg.embed_dim, bias=cfg.qkv_bias)
        self.lora = LoRA(cfg.embed_dim, cfg.lora_length) if cfg.lora_length > 0 else None
        self.proj = nn.Linear(cfg.embed_dim, cfg.embed_dim)

    def forward(self, x, lora_ab=None):
        B, N, C = x.shape
        qkv = self.qkv(x)
        if lora_ab is not None:          # explicit LoRA weights (multi-task export)
            a, b = lora_ab
            qkv = qkv + F.linear(F.linear(x, a), b)
        elif self.lora is not None:
            qkv = qkv + self.lora(x)
        qkv = qkv.reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden = int(cfg.embed_dim * cfg.mlp_ratio)
        self.fc1 = nn.Linear(cfg.embed_dim, hidden)
        self.act = QuickGELU() if cfg.act == "quick_gelu" else nn.GELU()
        self.fc2 = nn.Linear(hidden, cfg.embed_dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.embed_dim, eps=cfg.eps)
        self.attn = Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.embed_dim, eps=cfg.eps)
        self.mlp = Mlp(cfg)

    def forward(self, x, lora_ab=None):
        x = x + self.attn(self.norm1(x), lora_ab)
        return x + self.mlp(self.norm2(x))


class ViTBackbone(nn.Module):
    """timm VisionTransformer without head; returns the cls feature after the final norm."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.cfg = cfg
        n = (cfg.img_size // cfg.patch_size) ** 2
        self.patch_embed = PatchEmbed(cfg)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, cfg.embed_dim) * 0.02)
        self.norm_pre = nn.LayerNorm(cfg.embed_dim, eps=cfg.eps) if cfg.pre_norm else None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.eps)
        self.apply(self._init)
        nn.init.normal_(self.cls_token, std=1e-6)

    @staticmethod
    def _init(m):
        # LoRA Linears have no bias and keep their own init (A random, B zero)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(self, x, lora=None):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        if self.norm_pre is not None:
            x = self.norm_pre(x)
        for i, blk in enumerate(self.blocks):
            x = blk(x, None if lora is None else lora[i])
        x = self.norm(x)
        return x[:, 0]


class Head(nn.Module):
    def __init__(self, dim, num_classes):
        super().__init__()
        self.fc = nn.Linear(dim, num_classes)
        nn.init.zeros_(self.fc.bias)
        nn.init.trunc_normal_(self.fc.weight, std=0.02)

    def forward(self, x):
        return self.fc(x)


class ViTLoRAClassifier(nn.Module):
    def __init__(self, cfg: ViTConfig, classes: Optional[List[str]] = None):
        super().__init__()
        self.cfg = cfg
        self.backbone = ViTBackbone(cfg)
        self.head = Head(cfg.embed_dim, cfg.num_classes)
        self.classes = list(classes) if classes else [str(i) for i in range(cfg.num_classes)]

    def forward(self, x):
        return self.head(self.backbone(x))

    # ---- parameter groups for the training modes ----
    def set_mode(self, mode):
        """full: everything; lora: LoRA + head (backbone frozen); linear: head only."""
        for n, p in self.named_parameters():
            if mode == "full":
                p.requires_grad = True
            elif mode == "lora":
                p.requires_grad = n.startswith("head.") or ".attn.lora." in n
            elif mode == "linear":
                p.requires_grad = n.startswith("head.")
            else:
                raise ValueError(f"unknown mode {mode!r}")
        if mode == "lora" and self.cfg.lora_length == 0:
            raise ValueError("mode lora needs lora_length > 0")

    def count_params(self):
        total = sum(p.numel() for p in self.parameters())
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return trainable, total

    @torch.no_grad()
    def merge_lora(self):
        """Fold every LoRA delta into qkv and drop the LoRA modules (in place)."""
        for blk in self.backbone.blocks:
            lo = blk.attn.lora
            if lo is None:
                continue
            blk.attn.qkv.weight += lo.lora_b.weight @ lo.lora_a.weight
            blk.attn.lora = None
        self.cfg.lora_length = 0
        return self

    @torch.no_grad()
    def reset_lora(self, rank):
        """Install fresh LoRA modules (A random, B zero) of the given rank."""
        gen_cfg = self.cfg
        gen_cfg.lora_length = rank
        for blk in self.backbone.blocks:
            blk.attn.lora = LoRA(gen_cfg.embed_dim, rank) if rank > 0 else None
        return self

    def replace_head(self, num_classes, classes=None):
        self.cfg.num_classes = num_classes
        self.head = Head(self.cfg.embed_dim, num_classes)
        self.classes = list(classes) if classes else [str(i) for i in range(num_classes)]
        return self
