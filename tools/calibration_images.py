#!/usr/bin/env python3
"""Extract the calibration photographs of the shipped normalisation scales.

    pip download --no-deps --only-binary :all: --python-version 3.11 \
        --platform manylinux_2_17_x86_64 scikit-image==0.24.0 -d /tmp/skimage
    python3 tools/calibration_images.py /tmp/skimage/scikit_image-0.24.0-*.whl /tmp/calib

Standard library only. The three colour photographs of scikit-image 0.24.0's
`skimage/data` (all free of copyright, as scikit-image documents them):
- astronaut.png: Eileen Collins, NASA, public domain;
- chelsea.png: a cat, CC0 by the photographer (Stefan van der Walt);
- coffee.png: a cup of coffee, CC0 by the photographer (Rachel Michetti).
Each is checked by its sha256. `tools/build_scales.sh` runs the whole recipe.
"""

import hashlib
import os
import sys
import zipfile

IMAGES = {
    "astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, digest in IMAGES.items():
            data = z.read("skimage/data/" + name)
            got = hashlib.sha256(data).hexdigest()
            if got != digest:
                sys.exit(f"{name}: sha256 {got}, expected {digest}")
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
    print(f"wrote {len(IMAGES)} images to {out}")


if __name__ == "__main__":
    main()
