#!/usr/bin/env bash
# neural-style against PyTorch on the same objective, the same weights and the
# same cores, in one run: prints the CPU, then one table of evaluation times
# (median, min, max of N runs after a warm-up) and their ratios.
#
#   tools/compare_pytorch.sh [SIZES] [RUNS]        # default: 256,512 5
#   tools/compare_pytorch.sh job CONTENT STYLE     # the default job, both ways
#   NS_ISA=avx2 tools/compare_pytorch.sh ...       # both pinned to AVX2 (or NS_ISA=portable:
#                                                  # ours without vector kernels, PyTorch's default)
#
# Makes its own venv with torch, numpy and pillow from PyPI (in
# ${NS_TORCH_VENV:-~/.cache/neural-style-torch}); not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${NS_TORCH_VENV:-$HOME/.cache/neural-style-torch}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy, PIL" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch numpy pillow
fi
py="$venv/bin/python"
# An instruction set pinned for both: ours through NEURAL_STYLE_ISA, PyTorch's ATen, oneDNN and
# MKL through theirs (torch then reports AVX2).
if [ -n "${NS_ISA:-}" ]; then
  export NEURAL_STYLE_ISA=$NS_ISA
  if [ "$NS_ISA" = avx2 ]; then
    export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
  fi
  echo "pinned: NEURAL_STYLE_ISA=$NEURAL_STYLE_ISA; PyTorch: $("$py" -c 'import torch; print(torch.backends.cpu.get_cpu_capability())')"
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; flags: $(grep -o -w 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load: $(uptime)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = job ]; then
  content=$2 style=$3
  # Both programs get the same pixels: the images brought to the job's size once.
  "$py" - "$content" "$style" "$tmp" <<'PY'
import sys
from PIL import Image
for src, name in ((sys.argv[1], "content.png"), (sys.argv[2], "style.png")):
    im = Image.open(src).convert("RGB")
    s = 512 / max(im.size)
    im.resize((round(im.size[0] * s), round(im.size[1] * s)), Image.LANCZOS).save(sys.argv[3] + "/" + name)
PY
  cargo build --release --quiet
  /usr/bin/time -v target/release/neural-style --content "$tmp/content.png" --style "$tmp/style.png" \
    --output "$tmp/out.png" --threads 2 --trace "$tmp/trace.jsonl" 2> "$tmp/time.txt" >/dev/null
  evals=$(wc -l < "$tmp/trace.jsonl")
  first=$(head -1 "$tmp/trace.jsonl" | grep -o '"loss":[^,]*' | cut -d: -f2)
  loss=$(tail -1 "$tmp/trace.jsonl" | grep -o '"loss":[^,]*' | cut -d: -f2)
  alpha=$(head -1 "$tmp/trace.jsonl" | grep -o '"content_weight":[^,]*' | cut -d: -f2)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
  echo "neural-style job: $wall wall, $evals evaluations, content weight $alpha (literal), first loss $first, last evaluated loss $loss, peak RSS $((rss / 1024)) MiB"
  "$py" tools/compare_pytorch.py job --content "$tmp/content.png" --style "$tmp/style.png" --evals "$evals" --threads 2 --alpha "$alpha"
  exit 0
fi

sizes=${1:-256,512}
runs=${2:-5}
cargo bench --bench engine --quiet -- eval ${sizes//,/ } --threads 1,2 --runs "$runs" > "$tmp/ours.txt"
"$py" tools/compare_pytorch.py eval --sizes "$sizes" --threads 1,2 --runs "$runs" > "$tmp/torch.txt"
head -1 "$tmp/torch.txt"
echo
echo "| size | threads | neural-style s [min, max] | PyTorch s [min, max] | ratio |"
echo "|---|---|---|---|---|"
grep '^| [0-9]' "$tmp/ours.txt" | while IFS='|' read -r _ size threads med min max _; do
  size=$(echo $size) threads=$(echo $threads)
  theirs=$(grep "^| $size | $threads |" "$tmp/torch.txt")
  IFS='|' read -r _ _ _ tmed tmin tmax _ <<< "$theirs"
  ratio=$(awk -v a="$med" -v b="$tmed" 'BEGIN { printf "%.2f", a / b }')
  printf '| %s | %s | %.2f [%.2f, %.2f] | %.2f [%.2f, %.2f] | %s |\n' "$size" "$threads" $med $min $max $tmed $tmin $tmax "$ratio"
done
