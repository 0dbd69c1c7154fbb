#!/usr/bin/env bash
# Proves that same-machine A/B verdicts fire, on this machine, with nothing else of ours running:
# the cost suite (its work per epoch is a setting) run interleaved as base and head — a 30% slower
# head must be flagged regressed, and a head equal to its base ok in 10 of 10 trials
# (Tests/HarnessTests/RevisionComparisonTests.swift, SameMachineTimingTests; about two minutes).
#
#   bash ci/ab-test.sh            (after `swift build --build-tests`, e.g. by ci/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
TNBENCH_TIMING_TESTS=1 swift test --filter SameMachineTimingTests
