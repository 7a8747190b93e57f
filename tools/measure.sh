#!/usr/bin/env bash
# Re-measures the figures the documents quote (docs/performance.md, docs/design.md,
# docs/normalised.md), one at a time. Each prints what it measured; the performance
# document quotes it with the date, the commit and the machine (`lscpu`). Not part of CI.
#
#   tools/measure.sh defaults CONTENT STYLE [--1024]   "Defaults, and why": the loss over the
#                                                       default job, L-BFGS history, content/style
#                                                       ratio by size (losses only: any load)
#   tools/measure.sh sequence CONTENT STYLE [FLAGS]     video: coherence along the exact motion of
#                                                       four synthetic sequences, alone / warm /
#                                                       flow, style loss per frame, strips
#   tools/measure.sh startup CONTENT STYLE              one-evaluation runs at 128 and 256 px,
#                                                       batch against single commands (wall time:
#                                                       quiet machine)
#   tools/measure.sh interrupt CONTENT STYLE            Ctrl-C to exit at 2048 px (wall time)
#   tools/measure.sh large CONTENT STYLE                a single-scale 1024 px run (wall time)
#   tools/measure.sh memory CONTENT STYLE               peak RSS of a 512x512 run, history full
#   tools/measure.sh normalised CONTENT STYLE           "The normalised network": the paper's
#                                                       alpha/beta from white noise (losses only)
#   tools/measure.sh colour CONTENT STYLE [FLAGS]       the style's strength in each colour mode
#                                                       against the plain run (256 px, 60 iterations
#                                                       unless FLAGS say otherwise;
#                                                       examples/style_strength; any load)
#
# e.g. tools/measure.sh defaults ../shared/images/tubingen.jpg ../shared/images/starry_night.jpg
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 3 ]] || { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
what=$1
content=$(realpath "$2")
style=$(realpath "$3")
shift 3
cargo build --release --quiet --bin neural-style --example frames --example style_strength
bin=target/release/neural-style
frames=target/release/examples/frames
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

now() { date +%s.%N; }

# One single run with a trace into $out/NAME.jsonl; extra flags after the name.
run() {
  local name=$1
  shift
  "$bin" --content "$content" --style "$style" --output "$out/$name.png" \
    --trace "$out/$name.jsonl" "$@" 2>/dev/null
}

# From a trace: evaluations, the loss at evaluations 1 and 50, the final loss and
# the weighted content/style ratio at the end.
summary() {
  python3 - "$1" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
last = rows[-1]
at = lambda k: rows[min(k, len(rows)) - 1]["loss"]
ratio = last["content_weight"] * last["content"] / (last["style_weight"] * last["style"])
print(f"{last['width']}x{last['height']}: {len(rows)} evaluations, loss at eval 1 {at(1):.3e}, "
      f"at eval 50 {at(50):.3e}, final {last['loss']:.4e}; weighted content/style {ratio:.2f}")
EOF
}

# Median, min and max of the numbers on stdin.
stats() {
  python3 -c 'import sys, statistics as s; v = sorted(float(x) for x in sys.stdin.read().split()); print(f"median {s.median(v):.2f} s [{v[0]:.2f}, {v[-1]:.2f}] over {len(v)}")'
}

# The size and the last evaluation's seconds of a trace.
last_eval() {
  python3 - "$1" <<'EOF'
import json, sys
r = [json.loads(line) for line in open(sys.argv[1])]
# "seconds" counts from the start of the run.
print(f"{r[-1]['width']}x{r[-1]['height']}, an evaluation {r[-1]['seconds'] - r[-2]['seconds']:.2f} s")
EOF
}

case "$what" in
  defaults)
    echo "== the default job (512, 100 iterations)"
    run default512
    summary "$out/default512.jsonl"
    echo "== --lbfgs-history at 256, 100 iterations"
    for h in 5 10 20 50; do
      run "history$h" --size 256 --lbfgs-history "$h"
      echo -n "history $h: "
      summary "$out/history$h.jsonl"
    done
    echo "== weighted content/style ratio after 100 iterations"
    echo -n "256: " && summary "$out/history10.jsonl"
    echo -n "512: " && summary "$out/default512.jsonl"
    if [[ "${1:-}" == "--1024" ]]; then
      run default1024 --size 1024
      echo -n "1024: " && summary "$out/default1024.jsonl"
    fi
    ;;

  sequence)
    # Video: six 192x144 frames of each synthetic motion with exact flow (examples/frames
    # synth), painted three ways with 30 iterations: each frame alone, --sequence --no-flow
    # (warm start only) and --sequence (flow and the temporal loss). Coherence along the
    # motion (examples/frames coherence), each frame's style loss against the frame
    # painted alone, seconds per frame, and a strip of frames 2-4 per way (STRIP_DIR, if set).
    for kind in pan zoom rotation object; do
      "$frames" synth "$kind" "$content" "$out/$kind" 6 192 144
      for way in alone warm flow; do
        case $way in
          alone) extra=() ;;
          warm) extra=(--sequence --no-flow) ;;
          flow) extra=(--sequence) ;;
        esac
        t0=$(now)
        "$bin" batch --contents "$out/$kind" --styles "$style" --output-dir "$out/$kind-$way" --size 192 \
          --iterations 30 --trace "$out/$kind-$way.jsonl" --quiet "${extra[@]}" "$@" 2>/dev/null
        t1=$(now)
        echo "$kind $way: along the motion $("$frames" coherence "$out/$kind" "$out/$kind-$way"), $(python3 -c "print(f'{($t1 - $t0) / 6:.1f}')") s per frame"
      done
      python3 - "$out" "$kind" <<'EOF'
import json, sys
out, kind = sys.argv[1:]
def styles(way):
    last = {}
    for line in open(f"{out}/{kind}-{way}.jsonl"):
        r = json.loads(line)
        last[r["item"].split("] ")[1]] = r["style"]
    return [last[k] for k in sorted(last)]
alone = styles("alone")
for way in ("warm", "flow"):
    ratios = [a / b for a, b in zip(styles(way), alone)]
    print(f"{kind} {way}: style loss per frame over the frame alone {min(ratios):.2f}-{max(ratios):.2f}")
EOF
      if [[ -n "${STRIP_DIR:-}" ]]; then
        cells=()
        for way in alone warm flow; do
          for k in 1 2 3; do cells+=("$(ls "$out/$kind-$way"/*.png | sed -n "$((k + 1))p")=$way $((k + 1))"); done
        done
        "$bin" sheet --cols 3 --output "$STRIP_DIR/strip-$kind.png" "${cells[@]}"
      fi
    done
    ;;

  startup)
    lscpu | grep "Model name"
    for size in 128 256; do
      echo -n "one-evaluation run at $size px, 2 threads: "
      for _ in 1 2 3 4 5; do
        t0=$(now)
        "$bin" --content "$content" --style "$style" --output "$out/one.png" --size "$size" --max-evals 1 --threads 2 2>/dev/null
        echo "$(now) - $t0" | bc
      done | stats
    done
    # Eight 512x384 frames (copies of CONTENT) at 128 px, 30 iterations.
    mkdir -p "$out/eight"
    for k in 1 2 3 4 5 6 7 8; do cp "$content" "$out/eight/frame_$k.${content##*.}"; done
    for round in 1 2; do
      rm -rf "$out/batch"
      t0=$(now)
      "$bin" batch --contents "$out/eight" --styles "$style" --output-dir "$out/batch" --size 128 --iterations 30 --threads 2 2>/dev/null
      tb=$(echo "$(now) - $t0" | bc)
      t0=$(now)
      for f in "$out"/eight/*; do
        "$bin" --content "$f" --style "$style" --output "$out/single.png" --size 128 --iterations 30 --threads 2 2>/dev/null
      done
      ts=$(echo "$(now) - $t0" | bc)
      printf "round %d: eight pictures at 128 px, 30 iterations: batch %.1f s, eight single commands %.1f s\n" "$round" "$tb" "$ts"
    done
    ;;

  interrupt)
    lscpu | grep "Model name"
    for _ in 1 2 3; do
      "$bin" --content "$content" --style "$style" --output "$out/big.png" --size 2048 --threads 2 \
        --trace "$out/big.jsonl" 2>/dev/null &
      pid=$!
      # Wait until two evaluations have been traced, then interrupt mid-way through the next.
      until [[ -f "$out/big.jsonl" && $(wc -l <"$out/big.jsonl") -ge 2 ]]; do sleep 0.2; done
      sleep 1.5
      t0=$(now)
      kill -INT "$pid"
      wait "$pid" || true
      t1=$(now)
      eval_s=$(last_eval "$out/big.jsonl")
      [[ -s "$out/big.png" ]] || { echo "no image written" >&2; exit 1; }
      printf "Ctrl-C to exit with the image written: %.2f s (%s)\n" "$(echo "$t1 - $t0" | bc)" "$eval_s"
      rm -f "$out/big.png" "$out/big.jsonl"
    done
    ;;

  large)
    lscpu | grep "Model name"
    t0=$(now)
    run large1024 --size 1024 --threads 2
    printf "single-scale 1024 px, 100 iterations, 2 threads: %.1f s; " "$(echo "$(now) - $t0" | bc)"
    summary "$out/large1024.jsonl"
    python3 -c 'import json,sys,statistics as s; t=[json.loads(l)["seconds"] for l in open(sys.argv[1])]; print(f"an evaluation (from the trace): median {s.median(b - a for a, b in zip(t, t[1:])):.2f} s")' "$out/large1024.jsonl"
    ;;

  memory)
    # CONTENT's central square at 512x512, 12 iterations (the L-BFGS history of
    # 10 fills), 1 and 2 threads; then with glibc's mmap threshold fixed (its
    # dynamic threshold also raises the heap's trim threshold, so freed
    # image-sized vectors stay resident).
    "$frames" square "$content" 512 "$out/square.png"
    for env in "" "MALLOC_MMAP_THRESHOLD_=16777216"; do
      for t in 1 2; do
        kb=$(env $env /usr/bin/time -v "$bin" --content "$out/square.png" --style "$style" --size 512 \
          --iterations 12 --threads "$t" --output "$out/m.png" 2>&1 | awk '/Maximum resident/ {print $6}')
        echo "512x512, 12 iterations, $t thread(s)${env:+, $env}: peak RSS $kb kbytes ($((kb / 1024)) MiB)"
      done
    done
    ;;

  normalised)
    # 512x384 from white noise, 200 iterations, the paper's literal weights:
    # alpha/beta 1e-3 ... 1e-6 (the weighted content/style ratio at the end).
    for a in 1e-3 1e-4 1e-5 1e-6; do
      run "norm$a" --normalized --loss-scale paper --init noise --iterations 200 \
        --content-weight "$a" --style-weight 1
      echo -n "alpha/beta $a: "
      summary "$out/norm$a.jsonl"
    done
    ;;

  colour)
    # How far each result's fine luminance moved from the photograph's, and as
    # a share of the plain run's: the style's strength as the eye sees it.
    modes="none luminance histogram histogram-cholesky original"
    for m in $modes; do
      run "colour-$m" --size 256 --iterations 60 --preserve-colors "$m" "$@"
    done
    plain=""
    for m in $modes; do
      d=$(target/release/examples/style_strength "$content" "$out/colour-$m.png" | awk '{print $3}')
      plain=${plain:-$d}
      echo "$m: $d ($(awk -v a="$d" -v b="$plain" 'BEGIN { printf "%.2f", a / b }')x plain)"
    done
    ;;

  *)
    echo "unknown measurement '$what'" >&2
    exit 2
    ;;
esac
