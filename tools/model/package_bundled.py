#!/usr/bin/python3
"""Builds the committed model packages from the trained checkpoints (step 3 of build_bundled.sh).

  /usr/bin/python3 tools/model/package_bundled.py --fashion tools/model/build/fashion.pt \
      --digits-lora tools/model/build/digits-lora.pt --out models

Writes:
  models/fashion-mnist/  model.onnx (LoRA merged), manifest.json, labels.txt, parity/, samples/ (300)
                         model_lora_base.onnx, adapters/{fashion,digits}.onnx_adapter,
                         adapters/digits.labels.txt, parity/tasks/{fashion,digits}/
  models/digits/         the digits LoRA task merged into one model.onnx (same format), parity/,
                         samples/ (100 test digits)
"""
import argparse
import os
import shutil
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train.py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch

import data as D
from adapter_format import read_adapter, write_adapter
from checkpoint import load_checkpoint
from export import (adapter_params, export_lora_base, export_package, write_labels, write_parity,
                    dump_json)

# Provenance that `mvn package` puts into the SBOM and the third-party licence report (the
# service does not read it): the weights are this project's (its licence), the data are not.
LICENSE = "Apache-2.0"
FASHION_DATA = {"name": "Fashion-MNIST", "license": "MIT",
                "url": "https://github.com/zalandoresearch/fashion-mnist"}
DIGITS_DATA = {"name": "UCI Optical Recognition of Handwritten Digits (scikit-learn's digits)",
               "license": "CC-BY-4.0", "url": "https://archive.ics.uci.edu/dataset/80"}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--fashion", required=True)
    ap.add_argument("--digits-lora")
    ap.add_argument("--out", default="models")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--fashion-samples", type=int, default=300)
    ap.add_argument("--digits-samples", type=int, default=100)
    ap.add_argument("--parity", type=int, default=16)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)

    fashion = load_checkpoint(args.fashion)
    fashion.classes = list(D.FASHION_CLASSES)
    fdir = os.path.join(args.out, "fashion-mnist")
    if os.path.isdir(fdir):
        shutil.rmtree(fdir)
    xf, yf = D.load_fashion("test")
    merged, d = export_package(fashion, fdir, "fashion-mnist-vit-lora", args.version,
                               (xf[:args.fashion_samples], yf[:args.fashion_samples]), args.parity,
                               extra_manifest={"license": LICENSE, "training_data": [FASHION_DATA]})
    print(f"fashion-mnist: model.onnx written, merged-vs-unmerged max |diff| {d:.2e}")

    if not args.digits_lora:
        return
    digits = load_checkpoint(args.digits_lora)
    digits.classes = list(D.DIGIT_CLASSES)
    # the digits task must sit on exactly the fashion backbone (merged)
    fb = merged.backbone.state_dict()
    dm = digits.backbone.state_dict()
    for k, v in fb.items():
        if not torch.allclose(v, dm[k], atol=1e-6):
            raise SystemExit(f"digits LoRA checkpoint is not on the fashion backbone: {k} differs")

    # --- models/digits: merged single-task package
    ddir = os.path.join(args.out, "digits")
    if os.path.isdir(ddir):
        shutil.rmtree(ddir)
    xd, yd = D.load_digits("test")
    _, d2 = export_package(digits, ddir, "digits-vit-lora", args.version,
                           (xd[:args.digits_samples], yd[:args.digits_samples]), args.parity,
                           extra_manifest={"foundation": "fashion-mnist-vit-lora",
                                           "lora_rank": digits.cfg.lora_length,
                                           "license": LICENSE,
                                           "training_data": [FASHION_DATA, DIGITS_DATA]})
    print(f"digits: model.onnx written, merged-vs-unmerged max |diff| {d2:.2e}")

    # --- multi-task: base graph + adapters under models/fashion-mnist
    base, names = export_lora_base(merged, os.path.join(fdir, "model_lora_base.onnx"),
                                   example_rank=max(1, digits.cfg.lora_length))
    adir = os.path.join(fdir, "adapters")
    os.makedirs(adir, exist_ok=True)
    tasks = {}
    # fashion: head only, LoRA stays at its empty default (the backbone already is fashion's)
    fp = adapter_params(merged, include_lora=False)
    write_adapter(os.path.join(adir, "fashion.onnx_adapter"), fp)
    dp = adapter_params(digits, include_lora=True)
    write_adapter(os.path.join(adir, "digits.onnx_adapter"), dp)
    write_labels(os.path.join(adir, "digits.labels.txt"), digits.classes)
    for a in ("fashion", "digits"):
        _, got = read_adapter(os.path.join(adir, f"{a}.onnx_adapter"))
        src = fp if a == "fashion" else dp
        assert set(got) == set(src) and all(np.array_equal(got[k], src[k]) for k in src), a

    # per-task parity through the adapter path: reference = the task's PyTorch model
    pin = torch.from_numpy(np.fromfile(os.path.join(fdir, "parity", "inputs.f32"), dtype="<f4")
                           ).view(-1, 3, 28, 28)
    write_parity(os.path.join(fdir, "parity", "tasks", "fashion"), fashion, pin,
                 {"model": "model_lora_base.onnx", "adapter": "adapters/fashion.onnx_adapter",
                  "labels": [fashion.classes[int(y)] for y in yf[:len(pin)]]})
    dcfg = digits.cfg
    din = D.to_tensor(xd[:args.parity], dcfg.mean, dcfg.std)
    write_parity(os.path.join(fdir, "parity", "tasks", "digits"), digits, din,
                 {"model": "model_lora_base.onnx", "adapter": "adapters/digits.onnx_adapter",
                  "labels": [digits.classes[int(y)] for y in yd[:args.parity]]})
    tasks["fashion"] = {"adapter": "adapters/fashion.onnx_adapter", "labels": "labels.txt",
                        "num_classes": len(fashion.classes), "lora_rank": 0,
                        "parity": "parity/tasks/fashion"}
    tasks["digits"] = {"adapter": "adapters/digits.onnx_adapter",
                       "labels": "adapters/digits.labels.txt",
                       "num_classes": len(digits.classes), "lora_rank": dcfg.lora_length,
                       "parity": "parity/tasks/digits"}
    # manifest: add the multi-task section
    import json
    mpath = os.path.join(fdir, "manifest.json")
    man = json.load(open(mpath))
    man["lora_base_model"] = "model_lora_base.onnx"
    man["default_task"] = "fashion"
    man["lora_parameters"] = names
    man["tasks"] = tasks
    man["training_data"] = [FASHION_DATA, DIGITS_DATA]  # the digits adapter's data too
    dump_json(man, mpath)
    print("multi-task: model_lora_base.onnx + adapters " + ", ".join(sorted(tasks)))


if __name__ == "__main__":
    main()
