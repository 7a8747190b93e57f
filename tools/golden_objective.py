#!/usr/bin/env python3
"""Writes tests/data/golden_objective.txt: the objective of src/objective.rs on
the shipped VGG19, computed independently with PyTorch autograd in float64, for
small images made by formula, so `tests/golden.rs` can check the wiring of the
losses (which layers, which weights, the style blend, TV) and their gradient.

    python tools/golden_objective.py [weights/vgg19.nsw] > tests/data/golden_objective.txt

Needs torch and numpy (the venv of tools/compare_pytorch.sh). Images, RGB in
[0, 1], 20x16: content ((3c + 5y + 7x) mod 13) / 12, style A ((11c + y*y + 2x)
mod 19) / 18, style B (|sin(0.7x + 0.3y + c)|); the point x at which the
objective is evaluated is the preprocessed image of ((5c + 2y + 3x) mod 11) /
10 + 0.05 cos(xy). Objective: content relu4_2 (alpha 1e-3), style relu1_1 ..
relu5_1 with w_l = 0.2 and blend 0.7 A + 0.3 B (beta 1), TV (gamma 1e-3).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsw  # noqa: E402

H, W = 20, 16
LAYERS = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv3_4",
          "conv4_1", "conv4_2", "conv4_3", "conv4_4", "conv5_1"]
POOL_BEFORE = {"conv2_1", "conv3_1", "conv4_1", "conv5_1"}
CONTENT = "relu4_2"
STYLE = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
ALPHA, BETA, GAMMA = 1e-3, 1.0, 1e-3


def made(f):
    return np.array([[[f(c, y, x) for x in range(W)] for y in range(H)] for c in range(3)], dtype=np.float32)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "weights", "vgg19.nsw")
    d = nsw.read(path)
    net = {}
    for l in d["layers"]:
        if l["name"] in LAYERS:
            w = np.array(nsw.dequantise(l), dtype=np.float32).reshape(l["shape"])
            net[l["name"]] = (torch.from_numpy(w).double(), torch.tensor(l["bias"], dtype=torch.float32).double())

    def pre(rgb):
        x = rgb.astype(np.float64) * d["scale"]
        if d["order"] == nsw.BGR:
            x = x[::-1]
        x = (x - np.array(d["mean"])[:, None, None]) / np.array(d["std"])[:, None, None]
        return torch.from_numpy(np.ascontiguousarray(x))[None]

    def feats(x):
        out = {}
        for name in LAYERS:
            if name in POOL_BEFORE:
                x = F.avg_pool2d(x, 2)
            w, b = net[name]
            x = F.relu(F.conv2d(x, w, b, padding=1))
            out["relu" + name[4:]] = x[0]
        return out

    def gram(f):
        n, h, w = f.shape
        f = f.reshape(n, h * w)
        return f @ f.t() / (h * w)

    content = pre(made(lambda c, y, x: ((3 * c + 5 * y + 7 * x) % 13) / 12))
    sa = pre(made(lambda c, y, x: ((11 * c + y * y + 2 * x) % 19) / 18))
    sb = pre(made(lambda c, y, x: abs(math.sin(0.7 * x + 0.3 * y + c))))
    with torch.no_grad():
        p = feats(content)[CONTENT]
        fa, fb = feats(sa), feats(sb)
        a = {k: 0.7 * gram(fa[k]) + 0.3 * gram(fb[k]) for k in STYLE}
    x0 = made(lambda c, y, x: ((5 * c + 2 * y + 3 * x) % 11) / 10 + 0.05 * math.cos(x * y))
    x = pre(x0).clone().requires_grad_(True)
    f = feats(x)
    lc = 0.5 * ((f[CONTENT] - p) ** 2).sum()
    es = {k: ((gram(f[k]) - a[k]) ** 2).sum() / (4.0 * f[k].shape[0] ** 2) for k in STYLE}
    ls = sum(0.2 * e for e in es.values())
    xi = x[0]
    tv = ((xi[:, :, 1:] - xi[:, :, :-1]) ** 2).sum() + ((xi[:, 1:, :] - xi[:, :-1, :]) ** 2).sum()
    loss = ALPHA * lc + BETA * ls + GAMMA * tv
    loss.backward()
    g = x.grad[0].numpy()
    print("# golden objective on weights/vgg19.nsw, written by tools/golden_objective.py (torch %s, float64)" % torch.__version__)
    print("content %.12e" % lc.item())
    print("style " + " ".join("%s:%.12e" % (k, es[k].item()) for k in STYLE))
    print("tv %.12e" % tv.item())
    print("loss %.12e" % loss.item())
    print("grad " + " ".join("%.9e" % v for v in g.reshape(-1)))


if __name__ == "__main__":
    main()
