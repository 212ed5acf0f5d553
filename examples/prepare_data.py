#!/usr/bin/python3
"""Write the full Fashion-MNIST test set as .npy for accuracy measurements.

    /usr/bin/python3 examples/prepare_data.py

Writes (not committed; see examples/.gitignore, ~31 MB):
    examples/data/test-images.npy   float32 [10000,1,28,28], x = pixel / 255 (range [0,1], no mean subtraction)
    examples/data/test-labels.npy   int64 [10000]

Source: the idx gzip files in /usr/share/datasets/fashion-mnist (Debian), or $FASHION_MNIST_DIR.
Only numpy is needed.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmnist  # noqa: E402


def main():
    out = os.path.join(HERE, "data")
    os.makedirs(out, exist_ok=True)
    x, y = fmnist.load("test")
    np.save(os.path.join(out, "test-images.npy"), x.astype(np.float32))
    np.save(os.path.join(out, "test-labels.npy"), y.astype(np.int64))
    print(f"wrote {out}/test-images.npy {x.shape} and test-labels.npy {y.shape}")


if __name__ == "__main__":
    main()
