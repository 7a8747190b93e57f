#!/usr/bin/env python3
"""Optical flow accuracy against exact ground truth, ours beside OpenCV's.

    tools/flow_compare.py PHOTO [WIDTH HEIGHT]

Makes five synthetic sequences from PHOTO with `examples/frames synth` (a
whole-pixel pan, a sub-pixel drift, zoom, rotation, an object sliding over a
still background), 6 frames of
WIDTH x HEIGHT (512 x 384), and for each pair (frame t to frame t-1, the
direction `batch --sequence` warps with) prints the mean endpoint error (px,
over every pixel) of ours (`neural-style flow`), OpenCV's DIS (medium preset)
and Farnebaeck, with each one's time per pair on one thread. OpenCV comes
from the `opencv-python-headless` wheel in a virtual environment
(~/.cache/ns-cv); it is never a dependency of the crate. Not part of CI.
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/neural-style")
FRAMES = os.path.join(ROOT, "target/release/examples/frames")


def read_flo(path):
    with open(path, "rb") as f:
        tag, w, h = struct.unpack("<fii", f.read(12))
        assert tag == 202021.25, path
        return np.frombuffer(f.read(), dtype="<f4").reshape(h, w, 2)


def epe(a, b):
    return float(np.mean(np.sqrt(((a - b) ** 2).sum(axis=2))))


def grey(path):
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2GRAY)


def main():
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    photo = sys.argv[1]
    w, h = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) == 4 else (512, 384)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "neural-style", "--example", "frames"], cwd=ROOT, check=True)
    cv2.setNumThreads(1)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    print(f"{w}x{h}, frame t to t-1, mean endpoint error px (seconds per pair, 1 thread)")
    print(f"{'sequence':10} {'ours (TV-L1)':>20} {'OpenCV DIS medium':>20} {'OpenCV Farneback':>20}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("pan", "drift", "zoom", "rotation", "object"):
            d = os.path.join(tmp, kind)
            subprocess.run([FRAMES, "synth", kind, photo, d, "6", str(w), str(h)], check=True)
            rows = {"ours": [], "dis": [], "farneback": []}
            for t in range(1, 6):
                a, b = os.path.join(d, f"frame_{t:04}.png"), os.path.join(d, f"frame_{t - 1:04}.png")
                truth = read_flo(os.path.join(d, f"back_{t:04}.flo"))
                out = os.path.join(tmp, "ours.flo")
                t0 = time.perf_counter()
                subprocess.run([BIN, "flow", "--from", a, "--to", b, "--output", out, "--threads", "1"], check=True, capture_output=True)
                rows["ours"].append((epe(read_flo(out), truth), time.perf_counter() - t0))
                ga, gb = grey(a), grey(b)
                t0 = time.perf_counter()
                f = dis.calc(ga, gb, None)
                rows["dis"].append((epe(f, truth), time.perf_counter() - t0))
                t0 = time.perf_counter()
                f = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 5, 15, 5, 7, 1.5, 0)
                rows["farneback"].append((epe(f, truth), time.perf_counter() - t0))
            cells = []
            for name in ("ours", "dis", "farneback"):
                e = np.mean([r[0] for r in rows[name]])
                s = np.median([r[1] for r in rows[name]])
                cells.append(f"{e:.4f} ({s:.2f} s)")
            print(f"{kind:10} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20}")
    print("ours: the time of the whole command (start, reading the PNGs, writing the .flo) with --threads 1")


if __name__ == "__main__":
    main()
