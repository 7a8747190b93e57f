#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the library's modules, each against the
# tests that guard it; what survives is either fixed by a test or explained in
# docs/testing.md. Not part of CI: a mutant costs an incremental rebuild and a
# test run (10-30 s here), so a module takes up to an hour or two on 2 cores;
# shard it across machines.
#
#   tools/mutants.sh optim                   # one module
#   tools/mutants.sh loss -- --shard 0/4     # a quarter of one (then 1/4, 2/4, 3/4)
#   tools/mutants.sh --list                  # modules and their mutant counts
#   MUTANTS_JOBS=2 tools/mutants.sh color    # two mutants at a time (each in its own copy)
#   MUTANTS_SURVIVORS=old.out tools/mutants.sh bin   # stage 2 only, on a stage 1's survivors
#   MUTANTS_TIMEOUT=400 taskset -c 1 tools/mutants.sh bin   # one core (the other for timing): a longer timeout
#
# Needs `cargo install cargo-mutants` (v27.1.0 was used). Results land in
# mutants.out/ (caught.txt, missed.txt, unviable.txt, timeout.txt: stage 2's
# verdicts on stage 1's survivors) and mutants.out.quick/ (stage 1's, the
# counts of the module or shard).
set -euo pipefail
cd "$(dirname "$0")/.."

files() {
  case "$1" in
    preprocess) echo "src/preprocess.rs" ;;
    loss) echo "src/loss/gram.rs src/loss/tap.rs src/loss/tv.rs" ;;
    objective) echo "src/objective.rs" ;;
    optim) echo "src/optim/mod.rs src/optim/lbfgs.rs src/optim/evaluator.rs src/optim/adam.rs src/optim/point.rs" ;;
    transfer) echo "src/transfer/config.rs src/transfer/mod.rs src/transfer/memory.rs src/transfer/scaled.rs src/transfer/schedule.rs src/transfer/style_cache.rs" ;;
    session) echo "src/transfer/session.rs src/transfer/batch.rs src/transfer/video.rs src/loss/temporal.rs" ;;
    flow) echo "src/flow/consistency.rs src/flow/files.rs src/flow/grid.rs src/flow/mod.rs src/flow/tvl1.rs src/flow/warp.rs" ;;
    io) echo "src/trace.rs src/image_io.rs src/rng.rs src/error.rs" ;;
    figures) echo "src/figures/plot.rs src/figures/sheet.rs" ;;
    color) echo "src/color.rs" ;;
    weights) echo "src/weights/format.rs src/weights/mod.rs src/weights/normalise.rs src/weights/crc32.rs src/weights/scales.rs src/weights/exact.rs" ;;
    vgg) echo "src/vgg/model.rs src/vgg/workspace.rs src/vgg/layers.rs" ;;
    ops) echo "src/ops/gemm.rs src/ops/simd.rs src/ops/kernels.rs src/ops/geom.rs src/ops/relu.rs src/ops/reduce.rs src/ops/cache.rs" ;;
    conv) echo "src/ops/conv.rs src/ops/im2col.rs src/ops/pool.rs" ;;
    winograd) echo "src/ops/winograd.rs src/ops/bf16.rs" ;;
    bin) echo "src/bin/neural-style/args.rs src/bin/neural-style/batch.rs src/bin/neural-style/commands.rs src/bin/neural-style/flags.rs src/bin/neural-style/main.rs src/bin/neural-style/run.rs src/bin/neural-style/signals.rs" ;;
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
    session) echo "batch optimise gradients cli counts robust spatial" ;;
    flow) echo "flow batch" ;;
    io) echo "cli image_io counts optimise robust batch weights" ;;
    figures) echo "figures cli" ;;
    color) echo "color cli" ;;
    weights) echo "weights tools fuzz golden" ;;
    vgg) echo "accuracy golden gradients ops optimise" ;;
    ops) echo "ops accuracy gradients robust" ;;
    conv) echo "ops accuracy gradients golden" ;;
    winograd) echo "ops accuracy gradients robust" ;;
    bin) echo "cli flag_table counts batch docs spatial robust weights" ;;
  esac
}

MODULES="preprocess loss objective optim transfer session color weights vgg ops conv winograd flow io figures bin"
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

# Two stages, the same verdicts as one run against every guarding target but
# much quicker: first every mutant against the library's unit tests and the
# module's first target (the quickest that catches most; for the binary, whose
# mutants no unit test reaches, the CLI's), which catch most of them in
# seconds; then the mutants that survived against all the targets (cargo test
# stops at the first failing target, so the slow ones would otherwise run for
# almost every mutant).
base=(--profile mutants -j "${MUTANTS_JOBS:-1}" --timeout "${MUTANTS_TIMEOUT:-180}")
for m in "${mods[@]}"; do
  for f in $(files "$m"); do base+=(-f "$f"); done
done
# The binary's mutants cannot reach the library's unit tests.
lib=(-C --lib)
[[ " ${mods[*]} " == " bin " ]] && lib=()
quick=("${base[@]}" "${lib[@]}")
full=("${base[@]}" "${lib[@]}")
seen=" "
for m in "${mods[@]}"; do
  first=1
  for t in $(tests "$m"); do
    if [[ "$seen" != *" $t "* ]]; then
      [[ $first == 1 ]] && quick+=(-C "--test=$t")
      full+=(-C "--test=$t")
      seen+="$t "
    fi
    first=0
  done
done
if [[ -n "${MUTANTS_SURVIVORS:-}" ]]; then
  # Stage 2 only, on the survivors of an earlier stage 1 (e.g. one stopped
  # part way: its mutants.out), against today's tests.
  [[ -d "$MUTANTS_SURVIVORS" ]] || { echo "MUTANTS_SURVIVORS: no folder $MUTANTS_SURVIVORS" >&2; exit 2; }
  rm -rf mutants.out.quick && cp -r "$MUTANTS_SURVIVORS" mutants.out.quick.tmp && mv mutants.out.quick.tmp mutants.out.quick
else
  rm -rf mutants.out mutants.out.quick
  cargo mutants "${quick[@]}" "$@" || true
  cp -r mutants.out mutants.out.quick  # stage 1's verdicts, for the counts
fi
# Stage 2 names stage 1's survivors one by one (`-F`, anchored, escaped):
# `--iterate` would not do with `--shard`, which it applies to what is left,
# so another shard's mutants would run instead. The extra arguments (the
# shard) are not passed on.
pick=()
while IFS= read -r name; do
  [[ -n "$name" ]] && pick+=(-F "^$(printf '%s' "$name" | sed 's/[][\.*+?(){}|^$]/\\&/g')\$")
done < <(cat mutants.out.quick/missed.txt mutants.out.quick/timeout.txt 2>/dev/null)
if [[ ${#pick[@]} -eq 0 ]]; then
  echo "== no survivors: nothing for stage 2"
  exit 0
fi
echo "== stage 2: the $(( ${#pick[@]} / 2 )) survivors against every guarding target"
exec cargo mutants "${full[@]}" "${pick[@]}"
