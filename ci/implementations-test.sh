#!/usr/bin/env bash
# End-to-end test of external implementations (docs/IMPLEMENTATIONS.md) with the release build
# that ci/setup.sh made: MPO-Net's FC2 by native, the NumPy example and PyTorch, side by side at
# the smoke tier (2 seeds, jobs interleaved), through run, compare and report. It makes the
# implementations' Python environments itself (under $TNBENCH_CACHE_DIR, default ~/.cache/tnbench;
# torch comes from pip's configured wheelhouse or PyPI). Prints PASSED or the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/tnbench"
[ -x "$bin" ] || { echo "implementations-test: no release build at $bin (run bash ci/setup.sh)"; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
out="$scratch/side-by-side"
fail() { echo "implementations-test: FAILED: $*"; exit 1; }

"$bin" list MPONet | grep -q "numpy (numpy)" || fail "tnbench list does not show MPONet's numpy implementation"

"$bin" run MPONet --tier smoke --config network=fc2 --seeds 2 --implementation native,numpy,pytorch --out "$out" \
    > "$scratch/run.log" 2>&1 || { cat "$scratch/run.log"; fail "tnbench run exited $?"; }
grep -q "6 completed, 0 failed, 0 diverged" "$scratch/run.log" || { cat "$scratch/run.log"; fail "not every job completed"; }
# Interleaved: native, numpy, pytorch for seed 0, then for seed 1.
order="$(grep ' start ' "$scratch/run.log" | sed -E 's/.*\[(.*)\] seed ([0-9]+).*/\1 \2/' | tr '\n' ';')"
[ "$order" = "network=fc2 0;implementation=numpy,network=fc2 0;implementation=pytorch,network=fc2 0;network=fc2 1;implementation=numpy,network=fc2 1;implementation=pytorch,network=fc2 1;" ] \
    || fail "jobs not interleaved by seed: $order"

# The program saw no test labels, and every implementation got the same arrays.
python3 - "$out" <<'PY' || fail "exchange check"
import json, sys, glob
problems = sorted(glob.glob(sys.argv[1] + "/work/jobs/MPONet/*/seed-0/problem.json"))
assert len(problems) == 2, problems
data = [json.load(open(p))["data"] for p in problems]
assert all("labels" not in d["test"] for d in data), "test labels were handed over"
assert data[0] == data[1], "two implementations got different arrays for one seed"
PY

set +e
"$bin" compare "$out" > "$scratch/compare.txt" 2>&1
status=$?
set -e
# 0, or 4 when the tier has no reference run; anything else is a fault.
[ "$status" = 0 ] || [ "$status" = 4 ] || { cat "$scratch/compare.txt"; fail "compare exited $status"; }
for name in numpy pytorch; do
    grep -q "    $name \[network=fc2\] test_accuracy: .* (n=2) vs native .* (n=2)" "$scratch/compare.txt" \
        || { cat "$scratch/compare.txt"; fail "compare has no side-by-side test_accuracy row for $name"; }
    grep -q "    $name \[network=fc2\] epoch_seconds: .*×" "$scratch/compare.txt" \
        || { cat "$scratch/compare.txt"; fail "compare has no speed ratio for $name"; }
done

"$bin" report "$out" --out "$scratch/report" > "$scratch/report.log" 2>&1 || { cat "$scratch/report.log"; fail "report"; }
grep -q "### Implementations beside native" "$scratch/report/REPORT.md" || fail "the report has no side-by-side table"
grep -q "| pytorch | network=fc2 | test_accuracy |" "$scratch/report/REPORT.md" || fail "the report's table lacks pytorch"

# Resume: a second run finds every job recorded.
"$bin" run MPONet --tier smoke --config network=fc2 --seeds 2 --implementation native,numpy,pytorch --out "$out" \
    > "$scratch/resume.log" 2>&1 || fail "resume exited $?"
grep -q "6 already recorded" "$scratch/resume.log" || { cat "$scratch/resume.log"; fail "resume reran jobs"; }
# A library's maintainer: one implementation under two pinned versions, interleaved (tnbench ab).
set +e
"$bin" ab --suite MPONet --tier smoke --implementation numpy --head-requirements numpy==2.3.5 --config network=fc2 --seeds 2 \
    --out "$scratch/ab" > "$scratch/ab.txt" 2> "$scratch/ab.log"
status=$?
set -e
[ "$status" = 0 ] || [ "$status" = 1 ] || { cat "$scratch/ab.log" "$scratch/ab.txt"; fail "ab of two numpy versions exited $status"; }
grep -q "numpy: base with its manifest's requirements, head with numpy==2.3.5" "$scratch/ab.txt" || { cat "$scratch/ab.txt"; fail "ab does not name the two requirement sets"; }
grep -q "implementation=numpy,network=fc2  epoch_seconds" "$scratch/ab.txt" || { cat "$scratch/ab.txt"; fail "ab has no speed row"; }
for side in base head; do
    ls "$scratch/ab/$side/jobs/MPONet/"*"/seed_1.h5" > /dev/null || fail "ab's $side side has no record of seed 1"
done
# A job whose tnbench was killed with SIGKILL (its program left running, an orphan) and that runs
# again stops the leftover program before it reuses the job's folder.
# StoudenmireMPS: the two-site sweep written again in NumPy (float64) from native's starting MPS
# agrees with native (float32) at the smoke tier: mean test and training errors within 0.01 (2 of
# the 200 test images) and the last half-sweep's truncation within 2% — the precisions differ, so
# a borderline image may flip, nothing more.
sweeps="$scratch/sweeps"
"$bin" run StoudenmireMPS --tier smoke --implementation native,numpy --out "$sweeps" > "$scratch/sweeps.log" 2>&1 \
    || { cat "$scratch/sweeps.log"; fail "StoudenmireMPS native,numpy exited $?"; }
grep -q "4 completed, 0 failed, 0 diverged" "$scratch/sweeps.log" || { cat "$scratch/sweeps.log"; fail "not every sweep job completed"; }
"$bin" compare "$sweeps" --json > "$scratch/sweeps.json" 2> /dev/null || [ $? = 4 ] || fail "compare of the sweeps exited $?"
python3 - "$scratch/sweeps.json" <<'PY' || fail "numpy's sweeps disagree with native's"
import json, sys
rows = {(r["configuration"].get("implementation", "native"), r["metric"]): r for r in json.load(open(sys.argv[1]))}
for metric in ("test_error", "train_error"):
    row = rows[("numpy", metric)]
    assert row["n"] == 2 and abs(row["vs_native"]) <= 0.01, (metric, row["mean"], row["native_mean"])
a, b = rows[("numpy", "truncation_error")]["mean"], rows[("native", "truncation_error")]["mean"]
assert abs(a - b) <= 0.02 * b, ("truncation_error", a, b)
print(f"StoudenmireMPS smoke: numpy test error {rows[('numpy', 'test_error')]['mean']:.4f} vs native "
      f"{rows[('numpy', 'test_error')]['native_mean']:.4f}; truncation {a:.5f} vs {b:.5f}")
PY

# KnowledgeDistillation: the TorchMPS-style student beside native at the smoke tier. The teacher is
# the protocol's (trained by the problem for both): the same teacher test accuracy for both; the
# student's contraction against its matrix-by-matrix definition (test_model.py, float64).
students="$scratch/students"
"$bin" run KnowledgeDistillation --tier smoke --implementation native,torchmps-style --out "$students" > "$scratch/students.log" 2>&1 \
    || { cat "$scratch/students.log"; fail "KnowledgeDistillation native,torchmps-style exited $?"; }
grep -q "6 completed, 0 failed, 0 diverged" "$scratch/students.log" || { cat "$scratch/students.log"; fail "not every student job completed"; }
"$bin" compare "$students" --json > "$scratch/students.json" 2> /dev/null || [ $? = 4 ] || fail "compare of the students exited $?"
python3 - "$scratch/students.json" <<'PY' || fail "the students' teachers or records differ"
import json, sys
rows = {(r["configuration"].get("implementation", "native"), r["configuration"]["student"], r["metric"]): r
        for r in json.load(open(sys.argv[1]))}
for student in ("fc", "cnn"):
    ours, theirs = rows[("native", student, "teacher_test_accuracy")], rows[("torchmps-style", student, "teacher_test_accuracy")]
    assert ours["mean"] == theirs["mean"], (student, ours["mean"], theirs["mean"])
    assert ("torchmps-style", student, "teacher_agreement") in rows, student
for student in ("direct", "fc", "cnn"):
    assert rows[("torchmps-style", student, "test_accuracy")]["n"] == 1, student
print("KnowledgeDistillation smoke: torchmps-style students recorded; the teachers are native's")
PY
python="$(ls -d "${TNBENCH_CACHE_DIR:-$HOME/.cache/tnbench}"/environments/torch-*/bin/python | head -1)"
"$python" Suites/KnowledgeDistillation/implementations/torchmps-style/test_model.py || fail "the torchmps-style contraction"

orphan="$scratch/orphan"
"$bin" plan MPONet --tier smoke --config network=fc2 --seeds 1 --implementation numpy --set epochs_fc2=150 --out "$orphan" > /dev/null
"$bin" run-job "$orphan" 0 > "$orphan.log" 2>&1 &
worker=$!
program=""
for _ in $(seq 1 600); do
    program="$(pgrep -f "train.py $orphan/work/jobs/MPONet" || true)"
    [ -n "$program" ] && break
    kill -0 "$worker" 2>/dev/null || break
    sleep 0.05
done
[ -n "$program" ] || { cat "$orphan.log"; fail "the numpy program of the orphan check never started"; }
kill -9 "$worker"
wait "$worker" 2>/dev/null || true
"$bin" run-job "$orphan" 0 > "$orphan.again.log" 2>&1 || { cat "$orphan.again.log"; kill -9 $program 2>/dev/null; fail "the job after its tnbench was killed"; }
grep -q "stopped numpy's program left running by an earlier attempt" "$orphan.again.log" \
    || { cat "$orphan.again.log"; kill -9 $program 2>/dev/null; fail "the leftover program was not stopped (or had already ended)"; }
kill -0 $program 2>/dev/null && { kill -9 $program; fail "the leftover program outlived the job that ran again"; }
echo "implementations-test: PASSED (MPONet fc2 smoke: native, numpy, pytorch × 2 seeds; compare, report, resume; ab of numpy 2.4.6 against 2.3.5; StoudenmireMPS's NumPy sweeps agree with native; KnowledgeDistillation's TorchMPS-style students share native's teachers; a leftover program stopped)"
