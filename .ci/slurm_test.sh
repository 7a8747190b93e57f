#!/bin/bash
# A real one-node Slurm cluster on this machine runs `neural-style batch` as a
# job array: three tasks share six items by --shard; every output must exist
# exactly once. Then a resubmission is cancelled mid-way, and a third
# submission must paint only what is missing.
#
#   .ci/slurm_test.sh [path/to/neural-style]
#
# Installs Debian's slurm-wlm and munge where missing (needs root and apt),
# runs munged, slurmctld and slurmd with their own pid files and stops them by
# pid at the end. Meant for a throw-away machine such as CI's.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/target/release/neural-style}
bin=$(realpath "$bin")
[ -x "$bin" ] || { echo "slurm_test: no binary at $bin (cargo build --release first)" >&2; exit 1; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm_test: installing slurm-wlm and munge" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
fi

work=$(mktemp -d /tmp/ns-slurm.XXXXXX)
pids=()
cleanup() {
    set +e
    echo "slurm_test: [$SECONDS s] stopping the cluster" >&2
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    munged --stop --socket="$work/munge/munge.socket" >/dev/null 2>&1
    sleep 1
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    echo "slurm_test: [$SECONDS s] stopped" >&2
    # Kept for a look when something failed (or KEEP=1).
    if [ -z "${KEEP:-}" ] && [ -n "$passed" ]; then rm -rf "$work"; else echo "slurm_test: logs in $work" >&2; fi
}
passed=
trap cleanup EXIT

# --- the cluster -------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$work/state" "$work/spool" "$work/log" "$work/munge"
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chmod 600 /etc/munge/munge.key
munged --force --socket="$work/munge/munge.socket" --pid-file="$work/munged.pid" \
    --log-file="$work/log/munged.log" --seed-file="$work/munge/seed"
cat > "$work/slurm.conf" <<CONF
ClusterName=nstest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || { echo "slurm_test: the node never became idle ($state)"; tail -5 "$work"/log/*.log; exit 1; }
echo "slurm_test: [$SECONDS s] one-node cluster up ($host, $cpus CPUs, $(slurmctld -V))"

# --- six small items, made here ----------------------------------------------
python3 - "$work/in" <<'PY'
import os, struct, sys, zlib, math
def png(path, w, h, f):
    raw = b"".join(b"\0" + bytes(v for x in range(w) for v in f(x, y)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    with open(path, "wb") as o:
        o.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
d = sys.argv[1]
os.makedirs(d + "/frames"); os.makedirs(d + "/styles")
for i in range(3):
    png(f"{d}/frames/f{i}.png", 64, 48, lambda x, y: (40 + 3 * x + 10 * i, 200 - 3 * y, 120 if (x // 8 + y // 8) % 2 else 30))
png(f"{d}/styles/waves.png", 64, 64, lambda x, y: (int(127 + 120 * math.sin(x / 3 + y / 5)), 90, int(127 + 120 * math.cos(y / 4))))
png(f"{d}/styles/dots.png", 64, 64, lambda x, y: (230, 200 if (x % 8 < 4 and y % 8 < 4) else 20, 40))
PY
cat > "$work/job.sh" <<JOB
#!/bin/bash
exec "$bin" batch --contents "$work/in/frames" --styles "$work/in/styles/waves.png,$work/in/styles/dots.png" \\
    --output-dir "$work/out" --shard \$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT \\
    --summary "$work/out/summary-\$SLURM_ARRAY_JOB_ID-\$SLURM_ARRAY_TASK_ID.jsonl" \\
    --size 64 --iterations \${ITERATIONS:-40} --threads 1 --quiet
JOB
chmod +x "$work/job.sh"
outputs() { find "$work/out" -maxdepth 1 -name '*__*.png' ! -name '.*' | sort; }
count_status() { cat "$work"/out/summary-"$1"-*.jsonl | grep -c "\"status\":\"$2\"" || true; }

# --- 1. three tasks, six items: each exactly once -----------------------------
sbatch --wait --array=0-2 -n 1 -c 1 -o "$work/log/job-%A-%a.out" --parsable "$work/job.sh" >"$work/job1" ||
    { echo "slurm_test: the first array failed"; cat "$work"/log/job-*.out; exit 1; }
job=$(cut -d';' -f1 "$work/job1")
n=$(outputs | wc -l)
[ "$n" = 6 ] || { echo "slurm_test: expected 6 outputs, found $n"; outputs; exit 1; }
done1=$(count_status "$job" done)
[ "$done1" = 6 ] || { echo "slurm_test: expected 6 items done across the tasks, summaries say $done1"; exit 1; }
for k in 0 1 2; do
    lines=$(wc -l <"$work/out/summary-$job-$k.jsonl")
    [ "$lines" = 2 ] || { echo "slurm_test: task $k had $lines items, expected 2"; exit 1; }
done
"$bin" sheet --output "$work/sheet.png" $(outputs) >/dev/null   # every output decodes
echo "slurm_test: [$SECONDS s] array $job: 3 tasks painted 6 items, each once"

# --- 2. a resubmission cancelled mid-way --------------------------------------
rm -f "$work"/out/*__*.png
ITERATIONS=200 sbatch --array=0-2 -n 1 -c 1 -o "$work/log/job-%A-%a.out" --parsable --export=ALL "$work/job.sh" >"$work/job2"
job=$(cut -d';' -f1 "$work/job2")
for _ in $(seq 300); do
    [ "$(outputs | wc -l)" -ge 1 ] && break
    sleep 0.2
done
scancel "$job"
for _ in $(seq 60); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.5
done
sleep 1
before=$(outputs | wc -l)
[ "$before" -ge 1 ] && [ "$before" -lt 6 ] || { echo "slurm_test: the cancel left $before of 6 outputs; expected some, not all"; exit 1; }
[ -n "$(outputs)" ] && "$bin" sheet --output "$work/sheet.png" $(outputs) >/dev/null   # no half-written image under a final name
echo "slurm_test: [$SECONDS s] array $job cancelled with $before of 6 items written"

# --- 3. the third submission finishes only what is missing --------------------
sbatch --wait --array=0-2 -n 1 -c 1 -o "$work/log/job-%A-%a.out" --parsable "$work/job.sh" >"$work/job3" ||
    { echo "slurm_test: the third array failed"; cat "$work"/log/job-*.out; exit 1; }
job=$(cut -d';' -f1 "$work/job3")
n=$(outputs | wc -l)
skipped=$(count_status "$job" skipped)
done3=$(count_status "$job" done)
[ "$n" = 6 ] || { echo "slurm_test: expected 6 outputs after the third array, found $n"; exit 1; }
[ "$skipped" = "$before" ] && [ "$done3" = $((6 - before)) ] ||
    { echo "slurm_test: third array: $done3 painted and $skipped skipped; expected $((6 - before)) and $before"; exit 1; }
"$bin" sheet --output "$work/sheet.png" $(outputs) >/dev/null
echo "slurm_test: [$SECONDS s] array $job painted the $done3 missing items and skipped $skipped: passed"
passed=1
