#!/usr/bin/env python3
"""Convert torchvision's VGG19 checkpoint (vgg19-dcbb9e9d.pth, a zip of a
pickle) to neural-style's weights format, for users who bring their own weights.

    python3 tools/convert_torchvision.py vgg19-dcbb9e9d.pth vgg19-torchvision.nsw
    neural-style --weights vgg19-torchvision.nsw ...

Standard library only. The result keeps torchvision's input convention (RGB,
0..1, ImageNet mean and std), stored in the file so the engine preprocesses
accordingly. Weights are stored as f32 (about 80 MB).
"""

import sys

import nsw
import torch_legacy

# Indices of the 16 convolutions in torchvision's vgg19().features.
CONV_INDICES = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
BLOCKS = [2, 2, 4, 4, 4]
NOTE = (
    "VGG19 (Simonyan & Zisserman, ICLR 2015) from torchvision's vgg19 checkpoint; "
    "converted by neural-style tools/convert_torchvision.py."
)


def names():
    return ["conv%d_%d" % (b, c) for b, n in enumerate(BLOCKS, start=1) for c in range(1, n + 1)]


def convert(state):
    layers = []
    for name, idx in zip(names(), CONV_INDICES):
        wkey, bkey = "features.%d.weight" % idx, "features.%d.bias" % idx
        if wkey not in state or bkey not in state:
            raise SystemExit("checkpoint has no %s / %s: not a torchvision VGG19" % (wkey, bkey))
        w, b = state[wkey], state[bkey]
        if len(w.shape) != 4 or w.shape[2:] != [3, 3] or b.shape != [w.shape[0]]:
            raise SystemExit("%s has shape %s: not a 3x3 convolution" % (wkey, w.shape))
        layers.append({"name": name, "shape": w.shape, "encoding": nsw.F32, "weights": w.values(), "bias": b.values()})
    return layers


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: convert_torchvision.py VGG19.pth OUTPUT.nsw")
    raw = open(argv[1], "rb").read()
    state = torch_legacy.load_zip(raw) if raw[:2] == b"PK" else torch_legacy.load(raw)
    layers = convert(state)
    size = nsw.write(argv[2], nsw.RGB, 1.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], NOTE, layers)
    print("wrote %s: %d bytes, %d layers" % (argv[2], size, len(layers)))


if __name__ == "__main__":
    main(sys.argv)
