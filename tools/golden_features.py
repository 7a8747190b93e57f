#!/usr/bin/env python3
"""Writes tests/data/golden_vgg19.txt: features of the shipped VGG19 for a small
image made by formula, computed independently of the Rust engine (numpy, f64,
direct convolution), so `tests/golden.rs` can check the engine's wiring: the
input convention (BGR, 0..255, mean), which layer each tap is, pooling, ReLU.

    python3 tools/golden_features.py [weights/vgg19.nsw] > tests/data/golden_vgg19.txt

Needs numpy (e.g. the venv of tools/compare_pytorch.sh). The image: H=24, W=20,
pixel (c, y, x) in [0, 1] = ((7c + 3y + 5x) mod 17) / 16 + 0.03 sin(x y + c).
Per tap: every channel's sum, and every 97th value in (C, H, W) order.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsw  # noqa: E402
import vgg19  # noqa: E402

H, W = 24, 20
TAPS = ["relu1_1", "relu2_1", "relu3_1", "relu4_2"]
STRIDE = 97


def image():
    return np.array([[[((7 * c + 3 * y + 5 * x) % 17) / 16 + 0.03 * math.sin(x * y + c) for x in range(W)] for y in range(H)]
                     for c in range(3)], dtype=np.float64)


def conv3x3(x, w, b):
    """x (I, H, W), w (O, I, 3, 3): cross-correlation, zero padding 1."""
    i, h, wd = x.shape
    p = np.zeros((i, h + 2, wd + 2))
    p[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd))
    for ky in range(3):
        for kx in range(3):
            out += np.einsum("oi,ihw->ohw", w[:, :, ky, kx], p[:, ky:ky + h, kx:kx + wd])
    return out + b[:, None, None]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "weights", "vgg19.nsw")
    d = nsw.read(path)
    rgb = image().astype(np.float32).astype(np.float64)  # the test makes it in f32
    x = rgb * d["scale"]
    if d["order"] == nsw.BGR:
        x = x[::-1]
    x = (x - np.array(d["mean"])[:, None, None]) / np.array(d["std"])[:, None, None]
    layers = {l["name"]: l for l in d["layers"]}
    print("# golden features of weights/vgg19.nsw, written by tools/golden_features.py (numpy %s)" % np.__version__)
    for name in vgg19.upto(TAPS):
        l = layers[name]
        if name in vgg19.POOL_BEFORE:
            c, h, wd = x.shape
            x = x[:, :h // 2 * 2, :wd // 2 * 2].reshape(c, h // 2, 2, wd // 2, 2).mean(axis=(2, 4))
        w = np.array(nsw.dequantise(l), dtype=np.float32).astype(np.float64).reshape(l["shape"])
        b = np.array(l["bias"], dtype=np.float32).astype(np.float64)
        x = np.maximum(conv3x3(x, w, b), 0.0)
        tap = "relu" + name[4:]
        if tap in TAPS:
            flat = x.reshape(-1)
            print("tap %s %d %d %d" % ((tap,) + x.shape))
            print("sums " + " ".join("%.9e" % v for v in x.sum(axis=(1, 2))))
            print("values " + " ".join("%d:%.9e" % (i, flat[i]) for i in range(0, flat.size, STRIDE)))


if __name__ == "__main__":
    main()
