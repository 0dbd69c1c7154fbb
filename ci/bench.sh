#!/usr/bin/env bash
# Runs the benchmark as CI does: set up, build release, run the `ci` tier of every suite,
# compare with the paper and the reference runs, render the report. Exits non-zero on regression.
#
#   bash ci/bench.sh [TIER] [extra `tnbench run` arguments…]     (TIER defaults to ci)
#
# Exit status: that of `tnbench compare` (1 regression, 3 a job failed or diverged, 4 no
# reference results for the tier), else that of `tnbench run`. The report is rendered either way.
# Quality is judged on any machine. Speed is judged only when this machine is the one the
# reference was recorded on (CPU model, logical cores, OpenBLAS configuration: the reference
# file's `machine`, or its cpu_model and blas_configuration); on any other machine `compare`
# prints the speed rows as informational, says why, and they do not affect the exit status.
# To compare speed between revisions on this machine, use `tnbench ab` (ci/ab.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
tier="${1:-ci}"; shift || true
out="results/bench-$tier"

[ -f ci/setup.sh ] && bash ci/setup.sh
swift build -c release --product tnbench || exit 2
tnbench="$(swift build -c release --show-bin-path)/tnbench"

"$tnbench" data fetch || echo "bench.sh: warning: data fetch failed; suites needing data will fail" >&2
# Re-running resumes: jobs already recorded in $out are skipped.
"$tnbench" run all --tier "$tier" --jobs "${TNBENCH_JOBS:-1}" --out "$out" "$@"
run_status=$?
[ "$run_status" -eq 130 ] && exit 130

"$tnbench" compare "$out"
compare_status=$?
"$tnbench" compare "$out" --json > "$out/compare.json" || true
"$tnbench" report "$out" --out "reports/bench-$tier" || true
echo "report: reports/bench-$tier/REPORT.md"
# Keep this revision's results by build, for `tnbench history draw` (speed over commits).
"$tnbench" history add "$out" > /dev/null || true

if [ "$compare_status" -ne 0 ]; then exit "$compare_status"; fi
exit "$run_status"
