"""Fashion-MNIST loading shared by train.py and prepare_data.py.

Reads the idx (gzip) files shipped by Debian in /usr/share/datasets/fashion-mnist
(override with the FASHION_MNIST_DIR environment variable).

Normalisation used everywhere in examples/: x = pixel / 255 as float32, giving
values in [0, 1]. There is no mean subtraction or std scaling, so the network
input is trivial to represent in fixed point.
"""
import gzip
import os

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")

CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    """Return (images float32 [N,1,28,28] in [0,1], labels int64 [N]) for 'train' or 'test'."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x, labels.astype(np.int64)
