"""Writes the 10,000 Fashion-MNIST test images as an ImageFolder of grey PNGs (OUT/LABEL/NNNNN.png,
'/' in a label written '_'), the input of `loraflow evaluate --images OUT`.

    /usr/bin/python3 tools/model/test_folder.py /tmp/fashion-test
"""
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from data import FASHION_CLASSES, load_fashion  # noqa: E402


def main(out):
    x, y = load_fashion("test")
    for i, (img, label) in enumerate(zip(x, y)):
        folder = os.path.join(out, FASHION_CLASSES[label].replace("/", "_"))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(img, "L").save(os.path.join(folder, "%05d.png" % i))
    print(f"{len(x)} images in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
