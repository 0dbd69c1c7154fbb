#!/usr/bin/env bash
# Sets up the machine (packages and data, see ci/setup.sh) and runs the whole test suite.
#
#   bash ci/test.sh [extra `swift test` arguments…]
#
# ci/setup.sh fetches the data sets, so tests that read them must run: TNBENCH_REQUIRE_DATA=1
# turns a missing data set into a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
TNBENCH_REQUIRE_DATA=1 swift test "$@"
