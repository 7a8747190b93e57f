"""The objective of src/objective.rs written with PyTorch, once, for the scripts
that check or time the engine against it (tools/compare_pytorch.py,
tools/golden_objective.py). Needs torch and numpy.

L_c = 1/2 sum (F - P)^2 at the content tap, G = F F^T / M,
E_l = 1/(4 N^2) sum (G - A)^2, L_s = sum_l w_l E_l,
L_tv = sum of squared neighbour differences, L = alpha L_c + beta L_s + gamma L_tv.
"""

import numpy as np
import torch
import torch.nn.functional as F

import nsw
import vgg19


def load_net(path, layers=vgg19.CONVS, dtype=torch.float32):
    """The weights file's convolutions `layers` as {name: (weight, bias)}, and the file."""
    d = nsw.read(path)
    net = {}
    for l in d["layers"]:
        if l["name"] in layers:
            w = np.array(nsw.dequantise(l), dtype=np.float32).reshape(l["shape"])
            net[l["name"]] = (torch.from_numpy(w).to(dtype), torch.tensor(l["bias"], dtype=torch.float32).to(dtype))
    return net, d


def features(net, x, taps):
    """The ReLU outputs `taps` (names like `relu4_2`) of x (1, 3, H, W), average pooling."""
    out = {}
    for name in vgg19.upto(taps):
        if name in vgg19.POOL_BEFORE:
            x = F.avg_pool2d(x, 2)
        w, b = net[name]
        x = F.relu(F.conv2d(x, w, b, padding=1))
        if "relu" + name[4:] in taps:
            out["relu" + name[4:]] = x
    return out


def gram(f):
    """G = F F^T / M for features (1, N, H, W)."""
    n, m = f.shape[1], f.shape[2] * f.shape[3]
    f = f.reshape(n, m)
    return f @ f.t() / m


def total_variation(x):
    """Squared differences of horizontal and vertical neighbours of x (1, 3, H, W)."""
    xi = x[0]
    return ((xi[:, :, 1:] - xi[:, :, :-1]) ** 2).sum() + ((xi[:, 1:, :] - xi[:, :-1, :]) ** 2).sum()


class Objective:
    """Targets from a content image and style images (blended), then the loss
    and its parts at any point."""

    def __init__(self, net, content, styles, blend=None, content_tap="relu4_2",
                 style_taps=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                 alpha=1e-3, beta=1.0, gamma=0.0):
        self.net, self.alpha, self.beta, self.gamma = net, alpha, beta, gamma
        self.content_tap, self.style_taps = content_tap, list(style_taps)
        self.taps = [content_tap] + self.style_taps
        blend = blend or [1.0 / len(styles)] * len(styles)
        with torch.no_grad():
            self.p = features(net, content, self.taps)[content_tap]
            fs = [features(net, s, self.taps) for s in styles]
            self.a = {k: sum(w * gram(f[k]) for w, f in zip(blend, fs)) for k in self.style_taps}

    def parts(self, x):
        """(L_c, {tap: E_l}, L_tv, L) at x."""
        f = features(self.net, x, self.taps)
        lc = 0.5 * ((f[self.content_tap] - self.p) ** 2).sum()
        es = {k: ((gram(f[k]) - self.a[k]) ** 2).sum() / (4.0 * f[k].shape[1] ** 2) for k in self.style_taps}
        w = 1.0 / len(self.style_taps)
        ls = sum(w * e for e in es.values())
        tv = total_variation(x) if self.gamma else torch.zeros((), dtype=x.dtype)
        return lc, es, tv, self.alpha * lc + self.beta * ls + self.gamma * tv

    def loss(self, x):
        return self.parts(x)[3]

    def evaluate(self, x):
        """(loss, gradient) at x."""
        x = x.detach().requires_grad_(True)
        l = self.loss(x)
        l.backward()
        return l.item(), x.grad


def preprocess(rgb, d, dtype=np.float32):
    """RGB (3, H, W) in [0, 1] to the network's input (1, 3, H, W), by the file's convention."""
    x = rgb.astype(dtype) * d["scale"]
    if d["order"] == nsw.BGR:
        x = x[::-1]
    x = (x - np.array(d["mean"], dtype=dtype)[:, None, None]) / np.array(d["std"], dtype=dtype)[:, None, None]
    return torch.from_numpy(np.ascontiguousarray(x)[None])
