#!/usr/bin/env bash
# Sets up the machine (packages and data, see ci/setup.sh) and runs the whole test suite.
#
#   bash ci/test.sh [extra `swift test` arguments…]
#
# Tests that read the real data sets run when the data is present (ci/setup.sh fetches it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
swift test "$@"
