"""PyTorch's time for the objective neural-style evaluates, on the shipped weights.

Run by tools/compare_pytorch.sh (which makes the venv and times neural-style in
the same run); not part of CI (torch is gigabytes).

    python tools/compare_pytorch.py eval --sizes 256,512 --threads 1,2 --runs 5
        one evaluation: VGG19 to relu5_1 with average pooling, content relu4_2
        (weight 1e-3) and Grams at relu1_1..relu5_1 (weights 1 x 0.2), loss and
        gradient with respect to the input image; prints median, min, max seconds.
    python tools/compare_pytorch.py job --content C.png --style S.png --evals N --threads 2
        the whole default job: the same objective on two images already at their
        final size, L-BFGS (history 10, strong Wolfe) from the content image for
        100 iterations or N evaluations; prints seconds, evaluations, final loss
        and peak memory.
The objective is neural-style's (src/lib.rs): L_c = 1/2 sum (F - P)^2,
G = F F^T / M, E_l = 1/(4 N^2) sum (G - A)^2, L = a L_c + b sum_l w_l E_l.
"""

import argparse
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_objective import Objective, load_net, preprocess  # noqa: E402


def cmd_eval(args, net, d):
    print("| size | threads | PyTorch median s | min s | max s |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        rng = np.random.default_rng(1)
        img = lambda: preprocess(rng.random((3, size, size), dtype=np.float32), d)
        content, style, x = img(), img(), img()
        obj = Objective(net, content, [style])
        for threads in args.threads:
            torch.set_num_threads(threads)
            obj.evaluate(x)  # warm-up
            ts = []
            for _ in range(args.runs):
                t = time.perf_counter()
                obj.evaluate(x)
                ts.append(time.perf_counter() - t)
            print("| %dx%d | %d | %.3f | %.3f | %.3f |" % (size, size, threads, statistics.median(ts), min(ts), max(ts)), flush=True)


def load_png(path):
    """RGB (3, H, W) in [0, 1]."""
    from PIL import Image
    return (np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0).transpose(2, 0, 1)


def cmd_job(args, net, d):
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    obj = Objective(net, preprocess(load_png(args.content), d), [preprocess(load_png(args.style), d)], alpha=args.alpha)
    x = preprocess(load_png(args.content), d).requires_grad_(True)
    # As neural-style does: the objective scaled by 1/max|g0| (a constant: it
    # sets L-BFGS's first trial step to about one unit, not the minimiser).
    first, g0 = obj.evaluate(x)
    scale = 1.0 / g0.abs().max().item()
    opt = torch.optim.LBFGS([x], lr=1, max_iter=args.iterations, max_eval=args.evals - 1, history_size=10,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")
    evals = [1]

    def closure():
        opt.zero_grad()
        l = obj.loss(x) * scale
        l.backward()
        evals[0] += 1
        return l

    opt.step(closure)
    with torch.no_grad():
        final = obj.loss(x).item()
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("PyTorch job: %.1f s, %d evaluations, first loss %.4e, final loss %.4e, peak RSS %.0f MiB" % (secs, evals[0], first, final, peak))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["eval", "job"])
    ap.add_argument("--weights", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "weights", "vgg19.nsw"))
    ap.add_argument("--sizes", default="256,512", type=lambda s: [int(v) for v in s.split(",")])
    ap.add_argument("--threads", default="1,2", type=lambda s: [int(v) for v in s.split(",")])
    ap.add_argument("--runs", default=5, type=int)
    ap.add_argument("--content")
    ap.add_argument("--style")
    ap.add_argument("--iterations", default=100, type=int)
    ap.add_argument("--evals", default=125, type=int)
    ap.add_argument("--alpha", default=1e-3, type=float, help="literal content weight (job: neural-style's, from its trace)")
    args = ap.parse_args()
    net, d = load_net(args.weights)
    print("torch %s, %s" % (torch.__version__, torch.backends.cpu.get_cpu_capability()))
    if args.mode == "eval":
        cmd_eval(args, net, d)
    else:
        args.threads = args.threads[0]
        cmd_job(args, net, d)


if __name__ == "__main__":
    main()
