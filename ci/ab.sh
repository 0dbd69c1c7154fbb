#!/usr/bin/env bash
# Same-machine A/B of two revisions, as a pull-request check does it: set up, build this checkout
# in release, then `tnbench ab` builds BASE in its own worktree and runs the same jobs with both
# builds, interleaved. Exits as `tnbench compare` does (1 a metric regressed, 3 a job failed).
#
#   bash ci/ab.sh BASE [extra `tnbench ab` arguments…]      e.g. bash ci/ab.sh origin/main --suite TNNRegression
#
# The result is in results/ab-<tier>-<base>-<head>/ (ab.txt, ab.json, both runs); both runs are
# added to results/history, and reports/history/HISTORY.md draws speed over the commits stored.
set -uo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: bash ci/ab.sh BASE [tnbench ab arguments…]}"; shift

[ -f ci/setup.sh ] && bash ci/setup.sh
swift build -c release --product tnbench || exit 2
tnbench="$(swift build -c release --show-bin-path)/tnbench"
"$tnbench" data fetch || echo "ab.sh: warning: data fetch failed; suites needing data will fail" >&2

"$tnbench" ab "$base" "$@"
status=$?
"$tnbench" history draw --out reports/history || true
exit "$status"
