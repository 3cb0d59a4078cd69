"""Run: cd /work/main && /usr/bin/python3 -m unittest discover -s tools/model/tests -v
(LORAFLOW_SKIP_VITB16=1 skips the ViT-B/16 case, ~1-2 min and ~1.5 GB RAM.)"""
import json
import os
import shutil
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train.py
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

import numpy as np
import torch

torch.set_num_threads(2)

from adapter_format import build_adapter, read_adapter
from checkpoint import (CheckpointError, load_checkpoint, read_safetensors, save_seed_checkpoint,
                        write_safetensors)
from export import (export_lora_base, export_onnx, export_package, lora_param_names,
                    use_contrib_attention)
from vitlora import ViTLoRAClassifier, preset

ORT_JAR = os.path.expanduser(
    "~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar")


def assert_ortcheck_ok(test, pkg):
    """Runs ONNX Runtime Java on the package's parity files when java + the ORT jar exist."""
    if not (shutil.which("java") and os.path.exists(ORT_JAR)):
        return
    r = subprocess.run([os.path.join(TOOLS, "ortcheck.sh"), pkg], capture_output=True, text=True)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    test.assertIn("ORTCHECK OK", r.stdout)


def seed_layout_checkpoint(cfg, classes, seed=0):
    """A checkpoint exactly as the seed's pytorch_model.pt lays it out, with random values."""
    g = torch.Generator().manual_seed(seed)
    D, L, K = cfg.embed_dim, cfg.lora_length, cfg.num_classes
    n = (cfg.img_size // cfg.patch_size) ** 2 + 1
    hidden = int(D * cfg.mlp_ratio)
    r = lambda *s: torch.randn(*s, generator=g) * 0.02
    bb = {"cls_token": r(1, 1, D), "pos_embed": r(1, n, D),
          **({"norm_pre.weight": 1 + r(D), "norm_pre.bias": r(D)} if cfg.pre_norm else {}),
          "patch_embed.proj.weight": r(D, 3, cfg.patch_size, cfg.patch_size),
          "patch_embed.proj.bias": r(D), "norm.weight": 1 + r(D), "norm.bias": r(D)}
    for i in range(cfg.depth):
        p = f"blocks.{i}."
        bb.update({p + "norm1.weight": 1 + r(D), p + "norm1.bias": r(D),
                   p + "attn.qkv.weight": r(3 * D, D), p + "attn.qkv.bias": r(3 * D),
                   p + "attn.lora.lora_a.weight": r(L, D), p + "attn.lora.lora_b.weight": r(3 * D, L),
                   p + "attn.proj.weight": r(D, D), p + "attn.proj.bias": r(D),
                   p + "norm2.weight": 1 + r(D), p + "norm2.bias": r(D),
                   p + "mlp.fc1.weight": r(hidden, D), p + "mlp.fc1.bias": r(hidden),
                   p + "mlp.fc2.weight": r(D, hidden), p + "mlp.fc2.bias": r(D)})
    return {"backbone_weight": bb, "head_weight": {"fc.weight": r(K, D), "fc.bias": r(K)},
            "CLASSES": list(classes)}


class SeedViTB16Test(unittest.TestCase):
    @unittest.skipIf(os.environ.get("LORAFLOW_SKIP_VITB16"), "LORAFLOW_SKIP_VITB16 set")
    def test_seed_layout_vit_b16_load_export_parity(self):
        cfg = preset("vit_b16", lora_length=10, num_classes=100)
        classes = [f"class_{i:03d}" for i in range(100)]
        tmp = tempfile.mkdtemp(prefix="loraflow-vitb16-")
        try:
            ck = seed_layout_checkpoint(cfg, classes)
            self.assertEqual(tuple(ck["backbone_weight"]["blocks.11.attn.lora.lora_b.weight"].shape),
                             (2304, 10))
            path = os.path.join(tmp, "pytorch_model.pt")
            torch.save(ck, path)
            del ck
            model = load_checkpoint(path, preset("vit_b16"))
            c = model.cfg
            self.assertEqual((c.img_size, c.patch_size, c.embed_dim, c.depth, c.num_heads,
                              c.lora_length, c.num_classes), (224, 16, 768, 12, 12, 10, 100))
            self.assertEqual(model.classes, classes)
            out = os.path.join(tmp, "pkg")
            merged, d = export_package(model, out, "vit-b16-test", "0.0.1", n_parity=2)
            self.assertLess(d, 1e-3)  # merged LoRA == unmerged
            meta = json.load(open(os.path.join(out, "parity", "meta.json")))
            self.assertEqual(meta["input_shape"], [2, 3, 224, 224])
            self.assertEqual(os.path.getsize(os.path.join(out, "parity", "logits.f32")), 2 * 100 * 4)
            man = json.load(open(os.path.join(out, "manifest.json")))
            self.assertEqual(man["preprocess"]["resize"], 256)
            self.assertEqual(man["preprocess"]["crop"], [224, 224])
            self.assertEqual(len(open(os.path.join(out, "labels.txt")).read().splitlines()), 100)
            self.assertGreater(os.path.getsize(os.path.join(out, "model.onnx")), 300e6)
            assert_ortcheck_ok(self, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class PresetsTest(unittest.TestCase):
    def test_clip_l14_pre_norm_layout(self):
        # ViT-L/14 CLIP geometry, one block to stay small: norm_pre is expected and loaded
        cfg = preset("vit_l14_clip", depth=1, lora_length=2, num_classes=3)
        ck = seed_layout_checkpoint(cfg, ["a", "b", "c"])
        tmp = tempfile.mkdtemp(prefix="loraflow-clip-")
        try:
            p = os.path.join(tmp, "clip.pt")
            torch.save(ck, p)
            m = load_checkpoint(p, preset("vit_l14_clip"))
            c = m.cfg
            self.assertTrue(c.pre_norm)
            self.assertEqual((c.img_size, c.patch_size, c.embed_dim, c.num_heads, c.depth),
                             (224, 14, 1024, 16, 1))
            self.assertEqual(c.mean, [0.48145466, 0.4578275, 0.40821073])
            with torch.no_grad():
                self.assertEqual(tuple(m(torch.randn(1, 3, 224, 224)).shape), (1, 3))
            del ck["backbone_weight"]["norm_pre.weight"]
            torch.save(ck, p)
            with self.assertRaises(CheckpointError):   # now a post-norm model with a stray bias
                load_checkpoint(p, preset("vit_l14_clip"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class CheckpointErrorsTest(unittest.TestCase):
    def setUp(self):
        self.cfg = preset("vit_mnist", lora_length=3, num_classes=7)
        self.ck = seed_layout_checkpoint(self.cfg, [str(i) for i in range(7)])
        self.tmp = tempfile.mkdtemp(prefix="loraflow-ck-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_renamed_key_is_named_in_error(self):
        bb = self.ck["backbone_weight"]
        bb["blocks.2.attn.qkv_renamed.weight"] = bb.pop("blocks.2.attn.qkv.weight")
        p = os.path.join(self.tmp, "bad.pt")
        torch.save(self.ck, p)
        with self.assertRaises(CheckpointError) as e:
            load_checkpoint(p, preset("vit_mnist"))
        msg = str(e.exception)
        self.assertIn("blocks.2.attn.qkv_renamed.weight", msg)
        self.assertIn("blocks.2.attn.qkv.weight", msg)
        self.assertIn("unknown keys", msg)
        self.assertIn("missing keys", msg)

    def test_missing_lora_key_is_named(self):
        del self.ck["backbone_weight"]["blocks.1.attn.lora.lora_b.weight"]
        p = os.path.join(self.tmp, "bad.pt")
        torch.save(self.ck, p)
        with self.assertRaises(CheckpointError) as e:
            load_checkpoint(p, preset("vit_mnist"))
        self.assertIn("blocks.1.attn.lora.lora_b.weight", str(e.exception))

    def test_seed_safetensors_and_timm_layouts_agree(self):
        p = os.path.join(self.tmp, "seed.pt")
        torch.save(self.ck, p)
        ref = load_checkpoint(p, preset("vit_mnist")).eval()
        x = torch.randn(3, 3, 28, 28)
        with torch.no_grad():
            want = ref(x)
        # safetensors, seed layout flattened with prefixes
        flat = {"backbone_weight." + k: v for k, v in self.ck["backbone_weight"].items()}
        flat.update({"head_weight." + k: v for k, v in self.ck["head_weight"].items()})
        st = os.path.join(self.tmp, "seed.safetensors")
        write_safetensors(st, flat, {"CLASSES": json.dumps(self.ck["CLASSES"])})
        back, meta = read_safetensors(st)
        self.assertTrue(torch.equal(back["head_weight.fc.bias"], self.ck["head_weight"]["fc.bias"]))
        m2 = load_checkpoint(st, preset("vit_mnist")).eval()
        # plain timm state dict (head.*) as .pt and as safetensors, LoRA merged away
        merged = ViTLoRAClassifier(ref.cfg)
        merged.load_state_dict(ref.state_dict())
        merged.merge_lora()
        timm_sd = {k[len("backbone."):]: v for k, v in merged.state_dict().items()
                   if k.startswith("backbone.")}
        timm_sd["head.weight"] = merged.head.fc.weight.detach()
        timm_sd["head.bias"] = merged.head.fc.bias.detach()
        tp = os.path.join(self.tmp, "timm.pt")
        torch.save(timm_sd, tp)
        ts = os.path.join(self.tmp, "timm.safetensors")
        write_safetensors(ts, timm_sd)
        with torch.no_grad():
            for m in (m2, load_checkpoint(tp, preset("vit_mnist")).eval(),
                      load_checkpoint(ts, preset("vit_mnist")).eval()):
                self.assertLess((m(x) - want).abs().max().item(), 1e-4)

    def test_bf16_safetensors(self):
        t = torch.randn(4, 5)
        st = os.path.join(self.tmp, "bf.safetensors")
        # hand-made BF16 tensor: top 16 bits of float32
        raw = (t.numpy().view(np.uint32) >> 16).astype("<u2").tobytes()
        hdr = json.dumps({"w": {"dtype": "BF16", "shape": [4, 5],
                                "data_offsets": [0, len(raw)]}}).encode()
        with open(st, "wb") as f:
            f.write(len(hdr).to_bytes(8, "little") + hdr + raw)
        got, _ = read_safetensors(st)
        self.assertLess((got["w"] - t).abs().max().item(), 0.02)


class TrainCliTest(unittest.TestCase):
    def test_lora_and_linear_modes_from_checkpoint(self):
        import train
        tmp = tempfile.mkdtemp(prefix="loraflow-train-")
        try:
            base = os.path.join(tmp, "base.pt")
            train.main(["--dataset", "fashion-mnist", "--mode", "full", "--preset", "vit_mnist",
                        "--depth", "1", "--max-epochs", "1", "--limit-train", "256",
                        "--out", base])
            met = os.path.join(tmp, "m.jsonl")
            out = os.path.join(tmp, "lora.pt")
            hist = os.path.join(tmp, "h.jsonl")
            r = train.main(["--dataset", "digits", "--mode", "lora", "--init", base,
                            "--lora-length", "2", "--max-epochs", "1", "--batch-size", "64",
                            "--out", out, "--metrics", met, "--history", hist])
            self.assertIn("top5", r)
            epochs = [json.loads(line) for line in open(hist).read().splitlines()]
            self.assertEqual([(e["epoch"], e["mode"], e["test_top1"]) for e in epochs], [(1, "lora", r["top1"])])
            row = json.loads(open(met).read().splitlines()[-1])
            self.assertEqual(row["trainable"], 1 * (2 * 64 + 192 * 2) + 64 * 10 + 10)
            m = load_checkpoint(out)
            self.assertEqual(m.cfg.lora_length, 2)
            self.assertEqual(m.classes, [str(i) for i in range(10)])
            train.main(["--dataset", "digits", "--mode", "linear", "--init", out,
                        "--lora-length", "0", "--max-epochs", "1", "--metrics", met])
            row = json.loads(open(met).read().splitlines()[-1])
            self.assertEqual(row["trainable"], 650)
            with self.assertRaises(SystemExit):   # digits head cannot evaluate fashion
                train.main(["--dataset", "fashion-mnist", "--init", out, "--eval-only"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class ContribAttentionExportTest(unittest.TestCase):
    """--attention contrib: one com.microsoft.Attention node per block, same logits as PyTorch."""

    def test_contrib_export_matches_pytorch(self):
        try:
            import onnx
            from onnx import numpy_helper
        except ImportError:
            self.skipTest("python3-onnx not installed")
        torch.manual_seed(1)
        m = ViTLoRAClassifier(preset("vit_mnist", depth=2, lora_length=2, num_classes=5)).eval()
        with torch.no_grad():   # larger weights than the init, so attention is far from uniform
            for n, p in m.named_parameters():
                p.normal_(0, 0.3 if ".attn." in n else 0.1)
        x = torch.randn(3, 3, 28, 28)
        tmp = tempfile.mkdtemp(prefix="loraflow-contrib-")
        try:
            with torch.no_grad():
                want = m(x)
                contrib = use_contrib_attention(export_onnx(m, os.path.join(tmp, "p.onnx"),
                                                            attention="plain"))
                self.assertLess((contrib(x) - want).abs().max().item(), 1e-4)
            out = os.path.join(tmp, "pkg")
            merged, d = export_package(m, out, "contrib-test", "0.0.1", parity_inputs=x,
                                       attention="contrib")
            self.assertLess(d, 1e-4)
            mp = onnx.load(os.path.join(out, "model.onnx"))
            attn = [n for n in mp.graph.node if n.op_type == "Attention"]
            self.assertEqual([n.domain for n in attn], ["com.microsoft"] * 2)
            self.assertNotIn("Softmax", {n.op_type for n in mp.graph.node})
            self.assertIn(("com.microsoft", 1), {(o.domain, o.version) for o in mp.opset_import})
            inits = {t.name: numpy_helper.to_array(t) for t in mp.graph.initializer}
            w = inits[attn[0].input[1]]   # [C, 3C]: qkv.weight (LoRA merged) transposed
            np.testing.assert_allclose(w, merged.backbone.blocks[0].attn.qkv.weight.detach().numpy().T)
            self.assertEqual({a.name: a.i for a in attn[0].attribute}, {"num_heads": 4})
            assert_ortcheck_ok(self, out)   # ONNX Runtime Java vs the PyTorch logits, batch 1 and 3
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class GraphVariantsTest(unittest.TestCase):
    """--input-dtype uint8 / --precision fp16: the graph's interface and the parity files. The
    numbers (ONNX Runtime Java against the float32 package) are ExportVariantsTest's."""

    def test_uint8_fp16_export(self):
        try:
            import onnx
            from onnx import TensorProto, numpy_helper
        except ImportError:
            self.skipTest("python3-onnx not installed")
        torch.manual_seed(2)
        m = ViTLoRAClassifier(preset("vit_mnist", depth=2, lora_length=2, num_classes=5)).eval()
        tmp = tempfile.mkdtemp(prefix="loraflow-variants-")
        try:
            export_package(m, tmp, "v", "0.0.1", n_parity=3, input_dtype="uint8", precision="fp16")
            mp = onnx.load(os.path.join(tmp, "model.onnx"))
            self.assertEqual(mp.graph.input[0].type.tensor_type.elem_type, TensorProto.UINT8)
            self.assertEqual(mp.graph.output[0].type.tensor_type.elem_type, TensorProto.FLOAT)
            self.assertEqual([n.op_type for n in mp.graph.node[:5]], ["Cast", "Div", "Sub", "Div", "Cast"])
            inits = {t.name: numpy_helper.to_array(t) for t in mp.graph.initializer}
            np.testing.assert_allclose(inits["loraflow.pixel_mean"].ravel(), m.cfg.mean, rtol=1e-6)
            weights = [v for k, v in inits.items() if not k.startswith("loraflow.")]
            self.assertTrue(all(v.dtype != np.float32 for v in weights), "fp16 weights")
            with open(os.path.join(tmp, "manifest.json")) as f:
                man = json.load(f)
            self.assertEqual((man["input"]["dtype"], man["precision"]), ("uint8", "fp16"))
            with open(os.path.join(tmp, "parity", "meta.json")) as f:
                meta = json.load(f)
            self.assertEqual(meta["files"], ["inputs.u8", "logits.f32"])
            self.assertEqual(os.path.getsize(os.path.join(tmp, "parity", "inputs.u8")), 3 * 3 * 28 * 28)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class AdapterAndMultiTaskTest(unittest.TestCase):
    def test_adapter_builders_roundtrip(self):
        p = {"blocks.0.attn.lora.lora_a.weight": np.random.rand(4, 64).astype(np.float32),
             "fc.bias": np.arange(10, dtype=np.float32)}
        for lib in (False, True):
            try:
                data = build_adapter(p, 3, 5, use_library=lib)
            except ImportError:
                continue
            self.assertEqual(data[4:8], b"TORT")
            hdr, got = read_adapter(data)
            self.assertEqual(hdr, {"format_version": 1, "adapter_version": 3, "model_version": 5})
            for k in p:
                np.testing.assert_array_equal(got[k], p[k])

    def test_lora_base_graph_has_overridable_initializers(self):
        try:
            import onnx
        except ImportError:
            self.skipTest("python3-onnx not installed")
        m = ViTLoRAClassifier(preset("vit_mnist", depth=2, lora_length=2, num_classes=5))
        tmp = tempfile.mkdtemp(prefix="loraflow-mt-")
        try:
            path = os.path.join(tmp, "base.onnx")
            _, names = export_lora_base(m, path, example_rank=3)
            self.assertEqual(names, lora_param_names(2))
            mp = onnx.load(path)
            inputs = {i.name: i for i in mp.graph.input}
            inits = {t.name: t for t in mp.graph.initializer}
            for n in names:
                self.assertIn(n, inputs)
                self.assertIn(n, inits)
            self.assertEqual(list(inits["blocks.0.attn.lora.lora_a.weight"].dims), [0, 64])
            self.assertEqual(list(inits["blocks.1.attn.lora.lora_b.weight"].dims), [192, 0])
            self.assertEqual(list(inits["fc.weight"].dims), [5, 64])
            d0 = inputs["fc.weight"].type.tensor_type.shape.dim[0]
            self.assertEqual(d0.dim_param, "num_classes")
            d1 = inputs["blocks.0.attn.lora.lora_b.weight"].type.tensor_type.shape.dim[1]
            self.assertEqual(d1.dim_param, "lora_rank")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
