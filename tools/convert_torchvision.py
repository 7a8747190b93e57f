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
import vgg19

NOTE = (
    "VGG19 (Simonyan & Zisserman, ICLR 2015) from torchvision's vgg19 checkpoint; "
    "converted by neural-style tools/convert_torchvision.py."
)


def convert(state):
    layers = []
    for name, idx in zip(vgg19.CONVS, vgg19.TORCHVISION_INDICES):
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
