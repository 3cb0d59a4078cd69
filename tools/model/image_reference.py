#!/usr/bin/python3
"""Test images and PIL reference tensors for the Java image stage (io.loraflow.image).

  image_reference.py generate   writes the committed test images to src/test/resources/images/
  image_reference.py reference  writes reference/<image>.<spec>.u8.gz and reference/index.json

The reference is the torchvision pipeline on a PIL image, reimplemented with PIL alone
(torchvision is not packaged here): ImageOps.exif_transpose, convert to RGB (alpha pasted on
white), Resize (PIL resize, torchvision size rule), CenterCrop (torchvision offsets and zero
padding), ToTensor. ToTensor's output is uint8/255 exactly, so the tensors are stored as the
uint8 values (C x H x W, gzip), lossless and a sixth of the size of raw float32.

One deliberate deviation: PIL opens 16-bit grey PNGs as mode "I" and convert("RGB") clips
values above 255 (a 16-bit image turns almost white). The service keeps the high byte, as PIL
does for 16-bit RGB; the reference does the same here.

Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy).
"""
import gzip
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGES = os.path.join(ROOT, "src", "test", "resources", "images")
REFS = os.path.join(IMAGES, "reference")
SKLEARN = "/usr/lib/python3/dist-packages/sklearn/datasets/images"
FMNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

SPECS = {
    "vit224": {"resize": 256, "resize_mode": "shorter_side", "interpolation": "bilinear",
               "crop": [224, 224]},
    "px28": {"resize": 28, "resize_mode": "shorter_side", "interpolation": "bilinear",
             "crop": [28, 28]},
    "bicubic_exact": {"resize": [96, 128], "resize_mode": "exact", "interpolation": "bicubic",
                      "crop": [90, 120]},
}

# Files that must not decode; the Java tests check their dead-letter reasons.
INVALID = ["truncated.jpg", "not_an_image.jpg", "bomb_50000x50000.png", "corrupt.png"]


# ---------------------------------------------------------------- reference pipeline

def to_rgb(im, background=(255, 255, 255)):
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16B", "I;16L"):
        a = np.asarray(im).astype(np.uint32) >> 8
        im = Image.fromarray(a.astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        out = Image.new("RGB", im.size, background)
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out
    return im.convert("RGB")


def resize(im, spec):
    resample = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[spec["interpolation"]]
    w, h = im.size
    if spec["resize_mode"] == "shorter_side":
        size = spec["resize"]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        if (w, h) == (new_w, new_h):
            return im
    else:
        new_h, new_w = spec["resize"]
    return im.resize((new_w, new_h), resample)


def center_crop(im, ch, cw):
    w, h = im.size
    if cw > w or ch > h:
        ltrb = ((cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0)
        im = ImageOps.expand(im, border=ltrb, fill=0)
        w, h = im.size
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return im.crop((left, top, left + cw, top + ch))


def reference(path, spec):
    with Image.open(path) as im:
        im.load()
        rgb = to_rgb(im)
    out = center_crop(resize(rgb, spec), *spec["crop"])
    return np.ascontiguousarray(np.asarray(out, dtype=np.uint8).transpose(2, 0, 1))


def write_references():
    os.makedirs(REFS, exist_ok=True)
    entries = []
    for name in sorted(os.listdir(IMAGES)):
        path = os.path.join(IMAGES, name)
        if not os.path.isfile(path) or name in INVALID or name.endswith((".md", ".txt")):
            continue
        with Image.open(path) as im:
            size = list(ImageOps.exif_transpose(im).size)
        refs = {}
        for key, spec in SPECS.items():
            t = reference(path, spec)
            ref = "%s.%s.u8.gz" % (name, key)
            with gzip.GzipFile(os.path.join(REFS, ref), "wb", mtime=0) as f:
                f.write(t.tobytes())
            refs[key] = ref
        entries.append({"file": name, "width": size[0], "height": size[1], "refs": refs})
        print("%-28s %4dx%-4d" % (name, size[0], size[1]))
    index = {"layout": "gzip of uint8 C x H x W; value = ToTensor output * 255", "specs": SPECS,
             "invalid": INVALID, "images": entries}
    with open(os.path.join(REFS, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- test images

def save(im, name, **kw):
    im.save(os.path.join(IMAGES, name), **kw)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(name, width, height, bit_depth, colour_type, raw_rows):
    """A PNG from raw filter-0 scanlines (for layouts PIL cannot write, e.g. 16-bit RGB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = b"".join(b"\x00" + row for row in raw_rows)
    blob = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(data, 9)) + png_chunk(b"IEND", b""))
    with open(os.path.join(IMAGES, name), "wb") as f:
        f.write(blob)


def fashion_mnist(index):
    with gzip.open(FMNIST) as f:
        f.read(16)
        f.seek(16 + index * 784)
        return Image.frombytes("L", (28, 28), f.read(784))


def generate():
    os.makedirs(IMAGES, exist_ok=True)
    china = Image.open(os.path.join(SKLEARN, "china.jpg")).convert("RGB")
    flower = Image.open(os.path.join(SKLEARN, "flower.jpg")).convert("RGB")
    with open(os.path.join(SKLEARN, "flower.jpg"), "rb") as f:
        flower_bytes = f.read()
    with open(os.path.join(IMAGES, "flower_640x427.jpg"), "wb") as f:
        f.write(flower_bytes)

    # JPEG variants
    save(china, "china_640x427_progressive.jpg", quality=85, progressive=True)
    save(china.crop((100, 60, 420, 300)), "china_444_q95.jpg", quality=95, subsampling=0)
    save(flower.resize((320, 213), Image.LANCZOS), "flower_422.jpg", quality=90, subsampling=1)
    save(china.convert("L").resize((400, 267), Image.LANCZOS), "grey.jpg", quality=90)
    save(flower.resize((300, 200), Image.LANCZOS).convert("CMYK"), "cmyk.jpg", quality=92)
    save(flower.resize((1600, 1067), Image.BICUBIC), "large_1600x1067.jpg", quality=80)
    save(china.crop((300, 0, 500, 427)).resize((200, 600), Image.BICUBIC), "tall_200x600.jpg",
         quality=88)
    save(flower.resize((40, 30), Image.LANCZOS), "tiny_40x30.jpg", quality=95)
    upright = china.crop((200, 150, 360, 250))  # 160 x 100, asymmetric
    inverse = {2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM,
               5: Image.TRANSPOSE, 6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}
    for o in range(1, 9):
        stored = upright if o == 1 else upright.transpose(inverse[o])
        exif = Image.Exif()
        exif[0x0112] = o
        save(stored, "exif_orientation_%d.jpg" % o, quality=92, exif=exif.tobytes())

    # PNG variants
    save(fashion_mnist(0), "fmnist_28x28.png")
    save(fashion_mnist(1), "fmnist_28x28_b.png")
    small = flower.resize((256, 171), Image.LANCZOS)
    save(small, "rgb.png")
    alpha = Image.linear_gradient("L").resize(small.size).rotate(90)
    rgba = small.copy()
    rgba.putalpha(alpha)
    rgba.paste((0, 0, 0, 0), (20, 20, 80, 60))
    save(rgba, "rgba.png")
    save(small.quantize(64), "palette.png")
    save(small.quantize(16), "palette_4bit.png", bits=4)
    pal = small.quantize(32)
    pal.info["transparency"] = 0
    save(pal, "palette_trns.png", transparency=0)
    la = small.convert("LA")
    la.putalpha(alpha)
    save(la, "grey_alpha.png")
    save(small.convert("1"), "bilevel.png")
    save(small.convert("L").resize((30, 20), Image.LANCZOS), "grey_30x20.png")
    g16 = (np.asarray(small.convert("L"), dtype=np.uint16) * 257
           + np.arange(small.size[0], dtype=np.uint16)[None, :] % 200)
    write_png("grey16.png", small.size[0], small.size[1], 16, 0,
              [row.astype(">u2").tobytes() for row in g16])
    rgb16 = np.asarray(small, dtype=np.uint16) * 257 + 100
    write_png("rgb16.png", small.size[0], small.size[1], 16, 2,
              [row.astype(">u2").tobytes() for row in rgb16])
    a16 = np.asarray(alpha, dtype=np.uint16)[:, :, None] * 257
    rgba16 = np.concatenate([rgb16, a16], axis=2)
    write_png("rgba16.png", small.size[0], small.size[1], 16, 6,
              [row.astype(">u2").tobytes() for row in rgba16])

    # GIF, BMP, WebP
    first = small.quantize(128)
    second = china.resize((256, 171)).quantize(128)
    first.save(os.path.join(IMAGES, "two_frames.gif"), save_all=True, append_images=[second],
               duration=100, loop=0)
    gif_trns = small.quantize(64)
    save(gif_trns, "transparent.gif", transparency=0)
    save(small, "rgb24.bmp")
    save(small.quantize(200), "palette8.bmp")
    save(small.convert("L"), "grey8.bmp")
    save(small, "lossy.webp", quality=85)
    save(small, "lossless.webp", lossless=True)
    save(rgba, "alpha_lossless.webp", lossless=True)
    save(rgba, "alpha_lossy.webp", quality=90)

    # Images that must fail
    with open(os.path.join(IMAGES, "truncated.jpg"), "wb") as f:
        f.write(flower_bytes[: len(flower_bytes) * 6 // 10])
    with open(os.path.join(IMAGES, "not_an_image.jpg"), "w") as f:
        f.write("This is a text file with a .jpg name, not a JPEG.\n")
    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    with open(os.path.join(IMAGES, "bomb_50000x50000.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + png_chunk(b"IEND", b""))
    buf = io.BytesIO()
    small.save(buf, "PNG")
    blob = bytearray(buf.getvalue())
    idat = blob.find(b"IDAT")
    for i in range(idat + 40, idat + 400):
        blob[i] ^= 0x5A
    with open(os.path.join(IMAGES, "corrupt.png"), "wb") as f:
        f.write(bytes(blob))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "generate":
        generate()
    elif command == "reference":
        write_references()
    else:
        sys.exit(__doc__)
