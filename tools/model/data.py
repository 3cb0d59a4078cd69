"""Offline datasets: Fashion-MNIST (Debian dataset-fashion-mnist), sklearn digits (digits.csv.gz
read directly), and an image folder (root/CLASS/*.png|jpg)."""
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
DIGITS_CSV = os.environ.get("DIGITS_CSV",
                            "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(i) for i in range(10)]


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(split):
    """uint8 images [N,28,28] and int64 labels; split 'train' or 'test'."""
    p = "train" if split == "train" else "t10k"
    x = _idx(os.path.join(FASHION_DIR, f"{p}-images-idx3-ubyte.gz"))
    y = _idx(os.path.join(FASHION_DIR, f"{p}-labels-idx1-ubyte.gz")).astype(np.int64)
    return x, y


def load_digits_raw():
    """sklearn digits: float [1797,8,8] in 0..16 and labels, read from digits.csv.gz."""
    with gzip.open(DIGITS_CSV, "rt") as f:
        arr = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return arr[:, :64].reshape(-1, 8, 8), arr[:, 64].astype(np.int64)


def digits_to_uint8_28(x8):
    """0..16 8x8 -> 0..255 28x28 grey (bilinear upscale), as the images a client would send."""
    t = torch.from_numpy(x8).float().unsqueeze(1) / 16.0
    t = F.interpolate(t, size=(28, 28), mode="bilinear", align_corners=False)
    return (t.clamp(0, 1) * 255.0).round().to(torch.uint8).squeeze(1).numpy()


def load_digits(split, seed=0, test_fraction=0.25):
    """Stratification-free fixed random split (seeded); uint8 [N,28,28] images."""
    x8, y = load_digits_raw()
    rng = np.random.RandomState(seed)
    perm = rng.permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    idx = perm[n_test:] if split == "train" else perm[:n_test]
    return digits_to_uint8_28(x8[idx]), y[idx]


def load_imagefolder(root, size, split=None):
    """root/CLASS/*.{png,jpg,jpeg} (optionally root/train, root/test). Returns uint8 [N,H,W,3]
    resized to size x size (shorter side + center crop), labels and class names."""
    from PIL import Image
    if split and os.path.isdir(os.path.join(root, split)):
        root = os.path.join(root, split)
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    xs, ys = [], []
    for ci, c in enumerate(classes):
        for fn in sorted(os.listdir(os.path.join(root, c))):
            if fn.lower().rsplit(".", 1)[-1] not in ("png", "jpg", "jpeg", "bmp", "webp"):
                continue
            im = Image.open(os.path.join(root, c, fn)).convert("RGB")
            w, h = im.size
            s = size / min(w, h)
            im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BILINEAR)
            w, h = im.size
            l, t = (w - size) // 2, (h - size) // 2
            xs.append(np.asarray(im.crop((l, t, l + size, t + size)), dtype=np.uint8))
            ys.append(ci)
    return np.stack(xs), np.array(ys, dtype=np.int64), classes


def to_tensor(x_uint8, mean, std):
    """uint8 [N,H,W] (grey) or [N,H,W,3] -> normalised float [N,3,H,W]."""
    t = torch.from_numpy(np.ascontiguousarray(x_uint8)).float() / 255.0
    if t.dim() == 3:
        t = t.unsqueeze(1).expand(-1, 3, -1, -1)
    else:
        t = t.permute(0, 3, 1, 2)
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    return ((t - m) / s).contiguous()


def augment(x, pad=2, flip=True, generator=None):
    """Random crop with zero-ish padding (pads with the normalised value of black) + h-flip."""
    n, c, h, w = x.shape
    if pad == 0:
        out = x.clone()
        if flip:
            m = torch.rand(n, generator=generator) < 0.5
            out[m] = out[m].flip(-1)
        return out
    fill = x.amin(dim=(0, 2, 3)).view(1, c, 1, 1)
    big = fill.expand(n, c, h + 2 * pad, w + 2 * pad).clone()
    big[:, :, pad:pad + h, pad:pad + w] = x
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    ar = torch.arange(h)
    rows = (dy.view(n, 1) + ar.view(1, h))                       # [n,h]
    cols = (dx.view(n, 1) + torch.arange(w).view(1, w))          # [n,w]
    out = big[torch.arange(n).view(n, 1, 1, 1), torch.arange(c).view(1, c, 1, 1),
              rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]
    if flip:
        m = torch.rand(n, generator=generator) < 0.5
        out[m] = out[m].flip(-1)
    return out
