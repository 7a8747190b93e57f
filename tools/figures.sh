#!/usr/bin/env bash
# Reproduce the paper's figures as labelled contact sheets, with the project's own binary.
#
#   tools/figures.sh CONTENT STYLE [STYLE...] OUTDIR
#   SIZE=256 ITERATIONS=100 CONTENT_WEIGHT=1e-3 tools/figures.sh ../shared/images/tubingen.jpg \
#       ../shared/images/starry_night.jpg ../shared/images/shipwreck.jpg ../shared/images/the_scream.jpg /tmp/figures
#
# Writes to OUTDIR:
#   figure1.png  top: content reconstructions from relu1_2, relu2_2, relu3_2, relu4_2, relu5_2;
#                bottom: style reconstructions from relu1_1; relu1_1+relu2_1; ... up to relu5_1
#                (both from white noise, as in the paper's Figure 1);
#   figure3.png  the content photograph and its transfer to each style (Figure 3);
#   figure4.png  the first style at content/style weight ratios 1e-5 ... 1e-2 (the row of Figure 4);
#   each run's image and trace, and loss.svg for the first transfer.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
args=("$@")
content=${args[0]}
out=${args[$(($# - 1))]}
styles=("${args[@]:1:$(($# - 2))}")
size=${SIZE:-256}
iters=${ITERATIONS:-100}
# The paper's literal weights (--loss-scale paper): its Figure 4 gives
# alpha/beta ratios. The content loss sums over positions while the Grams are
# normalised by them, so the same look needs a 4x larger literal content weight
# at half the size: 1e-3 at 256 looks like 2e-4 at 512.
cw=${CONTENT_WEIGHT:-1e-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/neural-style
mkdir -p "$out"
run() { "$bin" --size "$size" --loss-scale paper --quiet "$@"; }

# Figure 1.
cells=()
for l in relu1_2 relu2_2 relu3_2 relu4_2 relu5_2; do
  run --content "$content" --content-layers "$l" --init noise --iterations "$iters" --output "$out/content_$l.png"
  cells+=("$out/content_$l.png=$l")
done
layers=""
for l in relu1_1 relu2_1 relu3_1 relu4_1 relu5_1; do
  layers=${layers:+$layers,}$l
  run --style "${styles[0]}" --style-layers "$layers" --init noise --iterations "$iters" --output "$out/style_upto_$l.png"
  cells+=("$out/style_upto_$l.png=to $l")
done
"$bin" sheet --cols 5 --output "$out/figure1.png" "${cells[@]}"

# Figure 3.
cells=("$content=photograph")
n=0
for s in "${styles[@]}"; do
  n=$((n + 1))
  run --content "$content" --style "$s" --content-weight "$cw" --iterations "$iters" --output "$out/transfer_$n.png" --trace "$out/transfer_$n.jsonl"
  cells+=("$out/transfer_$n.png=$(basename "${s%.*}")")
done
"$bin" sheet --cols 4 --cell "$size" --output "$out/figure3.png" "${cells[@]}"
"$bin" plot --trace "$out/transfer_1.jsonl" --output "$out/loss.svg" --title "$(basename "$content") in the style of $(basename "${styles[0]}")"

# Figure 4's row: content weight / style weight.
cells=()
for r in 1e-5 1e-4 1e-3 1e-2; do
  run --content "$content" --style "${styles[0]}" --content-weight "$r" --style-weight 1 --iterations "$iters" --output "$out/ratio_$r.png"
  cells+=("$out/ratio_$r.png=a/b $r")
done
"$bin" sheet --cols 4 --output "$out/figure4.png" "${cells[@]}"
echo "figures written to $out"
