#!/usr/bin/python3
"""Train / fine-tune / evaluate the timm-layout ViT + LoRA classifier.

Examples (see tools/model/README.md):
  /usr/bin/python3 tools/model/train.py --dataset fashion-mnist --mode full --preset vit_mnist \
      --max-epochs 14 --augment --out build/model/fashion.pt
  /usr/bin/python3 tools/model/train.py --dataset digits --mode lora --init build/model/fashion.pt \
      --lora-length 4 --num-classes 10 --max-epochs 30 --out build/model/digits-lora.pt
  /usr/bin/python3 tools/model/train.py --dataset fashion-mnist --init build/model/fashion.pt --eval-only
"""
import argparse
import json
import math
import os
import sys

# OpenMP busy-waiting wastes most of the CPU when the 2 cores are shared (measured 4x slower)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch
import torch.nn.functional as F

import data as D
from checkpoint import load_checkpoint, save_seed_checkpoint
from vitlora import ViTLoRAClassifier, preset


def get_data(args, img_size, mean, std):
    if args.dataset == "fashion-mnist":
        (xtr, ytr), (xte, yte) = D.load_fashion("train"), D.load_fashion("test")
        classes = D.FASHION_CLASSES
    elif args.dataset == "digits":
        (xtr, ytr), (xte, yte) = D.load_digits("train"), D.load_digits("test")
        classes = D.DIGIT_CLASSES
    elif args.dataset == "imagefolder":
        if not args.data_dir:
            sys.exit("--data-dir is required for --dataset imagefolder")
        xtr, ytr, classes = D.load_imagefolder(args.data_dir, img_size, "train")
        xte, yte, c2 = D.load_imagefolder(args.data_dir, img_size, "test")
        if c2 != classes:
            sys.exit(f"train/test class folders differ: {classes} vs {c2}")
    else:
        sys.exit(f"unknown dataset {args.dataset}")
    if args.limit_train:
        xtr, ytr = xtr[:args.limit_train], ytr[:args.limit_train]
    xtr, xte = D.to_tensor(xtr, mean, std), D.to_tensor(xte, mean, std)
    if xtr.shape[-1] != img_size:
        xtr = F.interpolate(xtr, size=(img_size, img_size), mode="bilinear", align_corners=False)
        xte = F.interpolate(xte, size=(img_size, img_size), mode="bilinear", align_corners=False)
    return xtr, torch.from_numpy(ytr), xte, torch.from_numpy(yte), list(classes)


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    top1 = top5 = 0
    loss = 0.0
    for i in range(0, len(y), batch):
        logits = model(x[i:i + batch])
        yb = y[i:i + batch]
        loss += F.cross_entropy(logits, yb, reduction="sum").item()
        k = min(5, logits.shape[1])
        tk = logits.topk(k, dim=1).indices
        top1 += (tk[:, 0] == yb).sum().item()
        top5 += (tk == yb.view(-1, 1)).any(dim=1).sum().item()
    n = len(y)
    return {"loss": loss / n, "top1": top1 / n, "top5": top5 / n, "n": n}


def build_model(args, classes):
    if args.init:
        model = load_checkpoint(args.init)
        if args.num_classes and args.num_classes != model.cfg.num_classes or \
                len(classes) != model.cfg.num_classes or list(classes) != model.classes:
            if args.eval_only:
                sys.exit(f"--eval-only: the checkpoint's classes {model.classes} are not the "
                         f"dataset's {list(classes)}")
            model.replace_head(args.num_classes or len(classes), classes)
        if args.lora_length is not None:
            # the checkpoint's own LoRA (if any) is merged into qkv; a fresh one of rank
            # --lora-length is installed (A random, B zero; 0 = none)
            model.merge_lora()
            model.reset_lora(args.lora_length)
        elif args.mode == "lora" and model.cfg.lora_length == 0:
            model.reset_lora(10)
        # otherwise the checkpoint's LoRA modules are kept (e.g. to continue training)
    else:
        overrides = dict(img_size=args.img_size, patch_size=args.patch_size,
                         embed_dim=args.embed_dim, depth=args.depth, num_heads=args.heads,
                         mlp_ratio=args.mlp_ratio, lora_length=args.lora_length,
                         num_classes=args.num_classes or len(classes))
        model = ViTLoRAClassifier(preset(args.preset, **overrides), classes)
    model.classes = list(classes)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["fashion-mnist", "digits", "imagefolder"], required=True)
    ap.add_argument("--data-dir", help="imagefolder root (root/train/CLASS/*, root/test/CLASS/*)")
    ap.add_argument("--mode", choices=["full", "lora", "linear"], default="full")
    ap.add_argument("--preset", default="vit_mnist", help="architecture preset when not --init")
    ap.add_argument("--init", help="start from this checkpoint (seed .pt, timm .pt, .safetensors)")
    ap.add_argument("--img-size", type=int)
    ap.add_argument("--patch-size", type=int)
    ap.add_argument("--embed-dim", type=int)
    ap.add_argument("--depth", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--mlp-ratio", type=float)
    ap.add_argument("--lora-length", type=int, help="LoRA rank L (0 = none)")
    ap.add_argument("--num-classes", type=int)
    ap.add_argument("--max-epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--augment", action="store_true", help="random crop (pad 2) + h-flip")
    ap.add_argument("--no-flip", action="store_true", help="with --augment: crop only")
    ap.add_argument("--crop-pad", type=int, default=2, help="with --augment: random-crop padding "
                    "(0 = flip only)")
    ap.add_argument("--eval-every", type=int, default=1, help="evaluate every N epochs (and last)")
    ap.add_argument("--limit-train", type=int, help="use only the first N training images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--out", help="write the trained checkpoint here (seed layout .pt)")
    ap.add_argument("--metrics", help="append a JSON line with the result here")
    ap.add_argument("--history", help="append a JSON line per epoch here (loss, accuracies; "
                    "tools/plots draws the training curves from it)")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    # classes first (needed for the head), then data in the model's geometry
    classes_probe = {"fashion-mnist": D.FASHION_CLASSES, "digits": D.DIGIT_CLASSES}.get(args.dataset)
    if classes_probe is None:
        classes_probe = sorted(d for d in os.listdir(os.path.join(args.data_dir, "train"))
                               if os.path.isdir(os.path.join(args.data_dir, "train", d))) \
            if os.path.isdir(os.path.join(args.data_dir or "", "train")) else \
            sorted(d for d in os.listdir(args.data_dir) if os.path.isdir(os.path.join(args.data_dir, d)))
    model = build_model(args, classes_probe)
    cfg = model.cfg
    xtr, ytr, xte, yte, classes = get_data(args, cfg.img_size, cfg.mean, cfg.std)

    if args.eval_only:
        r = evaluate(model, xte, yte)
        print(f"eval {args.dataset}: top1 {r['top1']:.4f} top5 {r['top5']:.4f} loss {r['loss']:.4f} "
              f"(n={r['n']})", flush=True)
        return r

    model.set_mode(args.mode)
    trainable, total = model.count_params()
    print(f"mode {args.mode}: trainable {trainable} / {total} params "
          f"({100.0 * trainable / total:.2f}%), train {len(ytr)} test {len(yte)}, "
          f"img {cfg.img_size} patch {cfg.patch_size} dim {cfg.embed_dim} depth {cfg.depth} "
          f"L {cfg.lora_length}", flush=True)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = math.ceil(len(ytr) / args.batch_size)
    total_steps = steps_per_epoch * args.max_epochs
    warm = int(args.warmup_epochs * steps_per_epoch)

    def lr_at(step):  # linear warm-up then cosine to 0
        if step < warm:
            return args.lr * (step + 1) / warm
        t = (step - warm) / max(1, total_steps - warm)
        return args.lr * 0.5 * (1 + math.cos(math.pi * t))

    gen = torch.Generator().manual_seed(args.seed)
    step, t_start = 0, time.time()
    r = None
    for epoch in range(1, args.max_epochs + 1):
        model.train()
        if args.mode in ("lora", "linear"):
            model.backbone.eval()  # frozen parts: no behavioural difference here, explicit anyway
        t0 = time.time()
        perm = torch.randperm(len(ytr), generator=gen)
        tot_loss, correct, seen = 0.0, 0, 0
        for i in range(0, len(ytr), args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = xtr[idx], ytr[idx]
            if args.augment:
                xb = D.augment(xb, pad=args.crop_pad, flip=not args.no_flip, generator=gen)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=args.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            tot_loss += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
        dt = time.time() - t0
        line = (f"epoch {epoch}/{args.max_epochs} loss {tot_loss / seen:.4f} train_acc "
                f"{correct / seen:.4f}")
        if epoch % args.eval_every == 0 or epoch == args.max_epochs:
            r = evaluate(model, xte, yte)
            line += f" test_top1 {r['top1']:.4f} test_top5 {r['top5']:.4f}"
        print(f"{line} time {dt:.1f}s", flush=True)
        if args.history:
            row = {"dataset": args.dataset, "mode": args.mode, "init": args.init, "epoch": epoch,
                   "epochs": args.max_epochs, "loss": round(tot_loss / seen, 5),
                   "train_top1": round(correct / seen, 5), "seconds": round(dt, 1)}
            if epoch % args.eval_every == 0 or epoch == args.max_epochs:
                row["test_top1"] = r["top1"]
            with open(args.history, "a") as f:
                f.write(json.dumps(row) + "\n")
        if args.out:
            save_seed_checkpoint(model, args.out)
    elapsed = time.time() - t_start
    print(f"final {args.dataset} mode {args.mode}: top1 {r['top1']:.4f} top5 {r['top5']:.4f} "
          f"trainable {trainable}/{total} time {elapsed:.0f}s", flush=True)
    if args.metrics:
        with open(args.metrics, "a") as f:
            f.write(json.dumps({"dataset": args.dataset, "mode": args.mode, "init": args.init,
                                "top1": r["top1"], "top5": r["top5"], "trainable": trainable,
                                "total": total, "epochs": args.max_epochs, "seconds": round(elapsed),
                                "argv": sys.argv[1:] if argv is None else argv}) + "\n")
    return r


if __name__ == "__main__":
    main()
