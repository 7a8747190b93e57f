#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the library's modules, each against the
# tests that guard it; what survives is either fixed by a test or explained in
# tests/MUTANTS.md. Not part of CI: a mutant costs a rebuild (30-60 s here), so a
# module takes one to several hours on 2 cores; shard it across machines.
#
#   tools/mutants.sh optim                   # one module
#   tools/mutants.sh loss -- --shard 0/4     # a quarter of one (then 1/4, 2/4, 3/4)
#   tools/mutants.sh --list                  # modules and their mutant counts
#
# Needs `cargo install cargo-mutants` (v27.1.0 was used). Results land in
# mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

files() {
  case "$1" in
    preprocess) echo "src/preprocess.rs" ;;
    loss) echo "src/loss/gram.rs src/loss/tap.rs src/loss/tv.rs" ;;
    objective) echo "src/objective.rs" ;;
    optim) echo "src/optim/lbfgs.rs src/optim/evaluator.rs src/optim/adam.rs" ;;
    transfer) echo "src/transfer/config.rs src/transfer/mod.rs src/transfer/memory.rs src/transfer/scaled.rs src/transfer/schedule.rs src/transfer/style_cache.rs" ;;
    color) echo "src/color.rs" ;;
    weights) echo "src/weights/format.rs src/weights/mod.rs src/weights/normalise.rs src/weights/crc32.rs src/weights/scales.rs src/weights/exact.rs" ;;
    vgg) echo "src/vgg/model.rs src/vgg/workspace.rs src/vgg/layers.rs" ;;
    *) echo "unknown module '$1'" >&2; exit 2 ;;
  esac
}

# The test targets that guard each module (built and run for every mutant).
tests() {
  case "$1" in
    preprocess) echo "golden weights cli" ;;
    loss) echo "gradients golden ops accuracy spatial" ;;
    objective) echo "objective gradients golden spatial accuracy optimise" ;;
    optim) echo "optimise gradients" ;;
    transfer) echo "optimise spatial cli robust batch" ;;
    color) echo "color cli" ;;
    weights) echo "weights tools fuzz golden" ;;
    vgg) echo "accuracy golden gradients ops optimise" ;;
  esac
}

MODULES="preprocess loss objective optim transfer color weights vgg"
if [[ "${1:-}" == "--list" ]]; then
  for m in $MODULES; do
    n=0
    for f in $(files "$m"); do n=$((n + $(cargo mutants --list -f "$f" 2>/dev/null | wc -l))); done
    echo "$m: $n mutants"
  done
  exit 0
fi

mods=()
while [[ $# -gt 0 && "$1" != "--" ]]; do mods+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
[[ ${#mods[@]} -eq 0 ]] && { echo "usage: tools/mutants.sh MODULE... [-- cargo-mutants args]; modules: $MODULES" >&2; exit 2; }

args=(--profile mutants -j 1 --timeout 180 -C --lib)
seen=" "
for m in "${mods[@]}"; do
  for f in $(files "$m"); do args+=(-f "$f"); done
  for t in $(tests "$m"); do
    [[ "$seen" == *" $t "* ]] || { args+=(-C "--test=$t"); seen+="$t "; }
  done
done
exec cargo mutants "${args[@]}" "$@"
