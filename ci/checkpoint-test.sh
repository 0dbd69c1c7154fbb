#!/usr/bin/env bash
# Checkpoints survive kill -9 (issue 25): an MPO-Net FC2 job of many short epochs, checkpointed
# after every epoch (TNBENCH_CHECKPOINT_SECONDS=0), is killed with SIGKILL at several points —
# through `run` and through `run-job` (what a requeued Slurm task runs) — and started again in the
# same run directory, and so is a StoudenmireMPS sweep job; `tnbench diff` against an uninterrupted
# run must find every number equal, and the progress line must say the job was resumed. Uses the
# release build that ci/setup.sh made. Prints PASSED or the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/tnbench"
[ -x "$bin" ] || { echo "checkpoint-test: no release build at $bin (run bash ci/setup.sh)"; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "checkpoint-test: FAILED: $*"; exit 1; }
export TNBENCH_CHECKPOINT_SECONDS=0
args=(MPONet --tier smoke --config network=fc2 --seeds 1 --set epochs_fc2=150)

start=$(date +%s.%N)
"$bin" run "${args[@]}" --out "$scratch/whole" > "$scratch/whole.log" 2>&1 || { cat "$scratch/whole.log"; fail "the uninterrupted run"; }
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "checkpoint-test: uninterrupted run ${seconds}s"

# Waits until the job's checkpoint exists, then `delay` seconds more, and kills the whole process
# group with SIGKILL (the job may be between epochs or in the middle of writing its checkpoint).
kill_after_checkpoint() {
    local pid=$1 out=$2 delay=$3
    for _ in $(seq 1 600); do
        ls "$out"/work/checkpoints/MPONet/*/seed_0.h5 > /dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    sleep "$delay"
    kill -9 -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

resumed=0
for delay in 0 0.35 1.1; do
    out="$scratch/killed-$delay"
    setsid "$bin" run "${args[@]}" --out "$out" > "$out.log" 2>&1 &
    kill_after_checkpoint $! "$out" "$delay"
    "$bin" run "${args[@]}" --out "$out" > "$out.resume.log" 2>&1 || { cat "$out.resume.log"; fail "resuming after kill -9 ${delay}s after the first checkpoint"; }
    grep -q "resumed from its checkpoint after round" "$out.resume.log" && resumed=$((resumed + 1))
    "$bin" diff "$scratch/whole" "$out" > "$out.diff" 2>&1 || { cat "$out.diff"; fail "numbers differ after kill -9 ${delay}s after the first checkpoint"; }
    echo "checkpoint-test: kill -9 ${delay}s after the first checkpoint: $(grep -o 'resumed from its checkpoint after round [0-9]*' "$out.resume.log" || echo 'finished before the kill'); $(cat "$out.diff")"
done
[ "$resumed" -ge 2 ] || fail "only $resumed of 3 killed runs resumed from a checkpoint"

# Killed before any checkpoint: the job starts afresh and still records the same numbers.
out="$scratch/killed-early"
setsid "$bin" run "${args[@]}" --out "$out" > "$out.log" 2>&1 &
pid=$!
sleep 0.3
kill -9 -- "-$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
"$bin" run "${args[@]}" --out "$out" > "$out.resume.log" 2>&1 || { cat "$out.resume.log"; fail "running again after an early kill -9"; }
"$bin" diff "$scratch/whole" "$out" > "$out.diff" 2>&1 || { cat "$out.diff"; fail "numbers differ after an early kill -9"; }

# A sweep job (StoudenmireMPS, checkpointed between quarter sweeps; its environments are
# recomputed on resume): killed after its first checkpoint, resumed, the same numbers.
sweeps=(StoudenmireMPS --tier smoke --seeds 1 --set sweeps=3)
"$bin" run "${sweeps[@]}" --out "$scratch/sweeps-whole" > "$scratch/sweeps-whole.log" 2>&1 || { cat "$scratch/sweeps-whole.log"; fail "the uninterrupted sweep run"; }
out="$scratch/sweeps-killed"
setsid "$bin" run "${sweeps[@]}" --out "$out" > "$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    ls "$out"/work/checkpoints/StoudenmireMPS/*/seed_0.h5 > /dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
sleep 0.2
kill -9 -- "-$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
"$bin" run "${sweeps[@]}" --out "$out" > "$out.resume.log" 2>&1 || { cat "$out.resume.log"; fail "resuming the sweep job"; }
"$bin" diff "$scratch/sweeps-whole" "$out" > "$out.diff" 2>&1 || { cat "$out.diff"; fail "sweep job: numbers differ after kill -9"; }
echo "checkpoint-test: sweep job: $(grep -o 'resumed from its checkpoint after round [0-9]*' "$out.resume.log" || echo 'finished before the kill'); $(cat "$out.diff")"

# What a requeued Slurm task runs: `run-job DIR INDEX`, killed and run again.
out="$scratch/run-job"
"$bin" plan "${args[@]}" --out "$out" > /dev/null
setsid "$bin" run-job "$out" 0 > "$out.log" 2>&1 &
kill_after_checkpoint $! "$out" 0.5
ls "$out"/work/checkpoints/MPONet/*/seed_0.h5 > /dev/null 2>&1 || fail "run-job left no checkpoint after kill -9"
"$bin" run-job "$out" 0 > "$out.resume.log" 2>&1 || { cat "$out.resume.log"; fail "run-job after kill -9"; }
"$bin" diff "$scratch/whole" "$out" > "$out.diff" 2>&1 || { cat "$out.diff"; fail "run-job: numbers differ after kill -9"; }
ls "$out"/work/checkpoints/MPONet/*/ 2>/dev/null | grep -q . && fail "the checkpoint outlived its job's record"
echo "checkpoint-test: run-job killed and run again: $(cat "$out.diff")"
echo "checkpoint-test: PASSED"
