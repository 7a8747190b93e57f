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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_objective as to  # noqa: E402

H, W = 20, 16
STYLE = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
ALPHA, BETA, GAMMA = 1e-3, 1.0, 1e-3


def made(f):
    return np.array([[[f(c, y, x) for x in range(W)] for y in range(H)] for c in range(3)], dtype=np.float32)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "weights", "vgg19.nsw")
    net, d = to.load_net(path, dtype=torch.float64)

    def pre(rgb):
        return to.preprocess(rgb, d, dtype=np.float64)

    content = pre(made(lambda c, y, x: ((3 * c + 5 * y + 7 * x) % 13) / 12))
    sa = pre(made(lambda c, y, x: ((11 * c + y * y + 2 * x) % 19) / 18))
    sb = pre(made(lambda c, y, x: abs(math.sin(0.7 * x + 0.3 * y + c))))
    obj = to.Objective(net, content, [sa, sb], blend=[0.7, 0.3], style_taps=STYLE, alpha=ALPHA, beta=BETA, gamma=GAMMA)
    x0 = made(lambda c, y, x: ((5 * c + 2 * y + 3 * x) % 11) / 10 + 0.05 * math.cos(x * y))
    x = pre(x0).clone().requires_grad_(True)
    lc, es, tv, loss = obj.parts(x)
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
