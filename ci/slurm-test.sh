#!/usr/bin/env bash
# Integration test against a real Slurm: a smoke-tier run of two suites as a job array.
#
#   bash ci/slurm-test.sh          (root, or password-less sudo; installs Slurm when missing)
#
# Starts a single-node cluster (ci/slurm-cluster.sh), then checks that
#   (a) the records the array tasks wrote equal, number for number, those of a local
#       `tnbench run` of the same jobs (`tnbench diff`; both with 1 BLAS thread per job);
#   (b) after a running task is killed with scancel, `tnbench submit` again submits only the
#       missing job, which completes, and leaves the other records untouched;
#   (c) the dependent (afterany) job wrote DIR/report/REPORT.md, and wrote it again after (b).
# Before the cluster, without Slurm: the `tnbench commands` lines for other schedulers, run by
# xargs, give the same numbers as the local run.
# Where Slurm cannot be started it prints "SKIPPED" and why, and exits 0 — or 1 when
# TNBENCH_REQUIRE_SLURM=1. Set TNBENCH_BIN to test a tnbench already built, KEEP=1 to keep the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SUITES=(TNNClassification TNNRegression)
START=$(date +%s)

say() { echo "slurm-test: $*"; }
fail() { say "FAILED: $*"; exit 1; }

if [ -z "${TNBENCH_BIN:-}" ]; then
  swift build --product tnbench >/dev/null
  TNBENCH_BIN="$(swift build --show-bin-path)/tnbench"
fi
T=$TNBENCH_BIN

WORK=$(mktemp -d /tmp/tnbench-slurm-test.XXXXXX)
cleanup() {
  if [ "${CLUSTER_UP:-0}" = 1 ]; then
    squeue -h --name="tnbench-cluster" -o %i 2>/dev/null | xargs -r scancel 2>/dev/null || true
    bash ci/slurm-cluster.sh stop || true
  fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap cleanup EXIT

# The local reference: worker processes with one BLAS thread each, as an array task with 1 CPU.
"$T" run "${SUITES[@]}" --tier smoke --jobs 2 --out "$WORK/local" >"$WORK/local-run.log" 2>&1 || { cat "$WORK/local-run.log"; fail "the local run failed"; }
JOBS=$("$T" commands "$WORK/local" --indices --retry-failed | wc -l)
[ "$JOBS" -eq 0 ] || fail "the local run left $JOBS job(s) without a record"

# Any other scheduler: the printed commands, run by xargs two at a time, give the same numbers.
"$T" plan "${SUITES[@]}" --tier smoke --out "$WORK/commands" >/dev/null
"$T" commands "$WORK/commands" | OPENBLAS_NUM_THREADS=1 xargs -P 2 -I{} sh -c '{} >/dev/null' || fail "a printed run-job command failed"
[ -z "$("$T" commands "$WORK/commands")" ] || fail "jobs left without a record after running every printed command"
"$T" diff "$WORK/local" "$WORK/commands" >/dev/null || fail "the printed commands' numbers differ from the local run's"
say "run-job commands for other schedulers: same numbers as the local run"

CLUSTER_UP=1  # from here on, cleanup stops whatever the start left running (by its PID files)
cluster_output=$(bash ci/slurm-cluster.sh start) || {
  status=$?
  if [ "$status" -eq 77 ]; then
    say "SKIPPED: Slurm cannot be started on this machine (reason above)"
    [ "${TNBENCH_REQUIRE_SLURM:-0}" = 1 ] && exit 1
    exit 0
  fi
  fail "ci/slurm-cluster.sh start exited $status"
}
eval "$cluster_output"
STARTED_AT=$(date +%s)
say "cluster up in $((STARTED_AT - START)) s ($(sinfo --version), SLURM_CONF=$SLURM_CONF)"


wait_for_run() {  # waits until no job of the run is queued (tasks and report job)
  local deadline=$(( $(date +%s) + ${2:-150} ))
  while [ -n "$(squeue -h --name="$1" -o %i 2>/dev/null; squeue -h --name="$1-report" -o %i 2>/dev/null)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { squeue; fail "jobs of $1 still queued after ${2:-150} s"; }
    sleep 1
  done
}


# The cluster run: plan, then submit with a preamble that keeps task $VICTIM running (asleep)
# long enough to be killed.
RUN="$WORK/cluster"
"$T" plan "${SUITES[@]}" --tier smoke --out "$RUN" >/dev/null
TOTAL=$("$T" commands "$RUN" --indices | wc -l)
VICTIM=5
"$T" submit "$RUN" --dry-run | grep -q -- "--array=0-$((TOTAL - 1))" || fail "dry run does not show --array=0-$((TOTAL - 1))"
[ ! -d "$RUN/slurm" ] || fail "--dry-run wrote $RUN/slurm"
"$T" submit "$RUN" --cpus 1 --memory 512 --time 5 --max-concurrent 2 \
  --preamble "if [ \"\$SLURM_ARRAY_TASK_ID\" = $VICTIM ]; then sleep 120; fi" | tee "$WORK/submit1.txt"
ARRAY=$(sed -n 's/^submitted array job \([0-9]*\).*/\1/p' "$WORK/submit1.txt")
[ -n "$ARRAY" ] || fail "no array job id in the submit output"

# (b) kill the victim task while it runs.
deadline=$(( $(date +%s) + 90 ))
until [ "$(squeue -h -r -j "$ARRAY" -o '%K %T' 2>/dev/null | awk -v v=$VICTIM '$1 == v {print $2}')" = RUNNING ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { squeue -r; fail "task $VICTIM never ran"; }
  sleep 0.5
done
scancel "${ARRAY}_${VICTIM}"
say "killed running task ${ARRAY}_${VICTIM} with scancel"
wait_for_run tnbench-cluster

"$T" status "$RUN" | tee "$WORK/status1.txt" || true
grep -q "$TOTAL jobs: $((TOTAL - 1)) completed, 0 failed, 0 diverged, 0 running, 0 pending, 1 without a record" "$WORK/status1.txt" \
  || fail "status after the kill is not $((TOTAL - 1)) completed and 1 without a record"
# (c) the dependent job ran although a task was cancelled.
[ -s "$RUN/report/REPORT.md" ] || fail "the report job wrote no $RUN/report/REPORT.md (logs: $(ls "$RUN/slurm/logs"))"
grep -q "jobs: $((TOTAL - 1)) ($((TOTAL - 1)) completed" "$RUN/report/REPORT.md" || fail "the first report does not count $((TOTAL - 1)) jobs"

# Resubmit: only the killed job.
find "$RUN/jobs" -name '*.h5' -exec sha256sum {} + | sort > "$WORK/records-before.txt"
"$T" submit "$RUN" --cpus 1 --memory 512 --time 5 | tee "$WORK/submit2.txt"
grep -q "1 task(s), --array=$VICTIM " "$WORK/submit2.txt" || fail "the resubmission is not exactly task $VICTIM"
wait_for_run tnbench-cluster
find "$RUN/jobs" -name '*.h5' -exec sha256sum {} + | sort > "$WORK/records-after.txt"
[ "$(comm -23 "$WORK/records-before.txt" "$WORK/records-after.txt" | wc -l)" -eq 0 ] || fail "the resubmission changed existing records"
[ "$(comm -13 "$WORK/records-before.txt" "$WORK/records-after.txt" | wc -l)" -eq 1 ] || fail "the resubmission did not add exactly one record"
"$T" status "$RUN" | tee "$WORK/status2.txt"
grep -q "$TOTAL jobs: $TOTAL completed" "$WORK/status2.txt" || fail "not every job completed after the resubmission"
grep -q "jobs: $TOTAL ($TOTAL completed" "$RUN/report/REPORT.md" || fail "the second report job did not rewrite the report with $TOTAL jobs"
grep -q "### Hosts" "$RUN/report/REPORT.md" || fail "the report has no hosts table"

# (a) the same numbers as the local run.
"$T" diff "$WORK/local" "$RUN" || fail "the Slurm run's numbers differ from the local run's"
"$T" submit "$RUN" | grep -q "nothing to submit" || fail "a third submit found jobs to submit"

say "PASSED: $TOTAL jobs of ${SUITES[*]} as a Slurm array (one killed and resubmitted), same numbers as a local run, report written; $(( $(date +%s) - START )) s in all, $(( $(date +%s) - STARTED_AT )) s after the cluster was up"
