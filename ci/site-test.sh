#!/usr/bin/env bash
# The static site in a real browser (issue 28), with the release build that ci/setup.sh made: a
# smoke run of every suite, published by `tnbench publish` (which checks every link of what it
# wrote), then loaded page by page in headless Chromium (ci/site-check.py: no console error, no
# image or figure that does not load, no link the server lacks; screenshots of the front page and
# a suite page, the front page's claims table checked in its screenshot). It installs Debian's
# chromium and chromium-driver, and makes its Python environment (Selenium and Pillow, pinned)
# under $TNBENCH_CACHE_DIR (default ~/.cache/tnbench). Where Chromium or the environment cannot
# be installed it prints SKIPPED with the reason. Screenshots go to $TNBENCH_SITE_SHOTS when set.
# Prints PASSED or the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/tnbench"
[ -x "$bin" ] || { echo "site-test: no release build at $bin (run bash ci/setup.sh)"; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "site-test: FAILED: $*"; exit 1; }
skip() { echo "site-test: SKIPPED: $*"; exit 0; }

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
    echo "site-test: installing Debian's chromium and chromium-driver"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core; } > "$scratch/apt.log" 2>&1 \
        || { tail -5 "$scratch/apt.log"; skip "Debian's chromium and chromium-driver could not be installed"; }
fi

python_version="$(python3 -c 'import sys; print(f"{sys.version_info.major}.{sys.version_info.minor}")')"
venv="${TNBENCH_CACHE_DIR:-$HOME/.cache/tnbench}/site-test-py$python_version"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium, PIL' 2> /dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" > "$scratch/venv.log" 2>&1 || { cat "$scratch/venv.log"; skip "python3 -m venv failed"; }
    "$venv/bin/pip" install -q selenium==4.27.1 pillow==11.0.0 > "$scratch/pip.log" 2>&1 \
        || { rm -rf "$venv"; tail -5 "$scratch/pip.log"; skip "Selenium and Pillow could not be installed from PyPI"; }
fi

status=0
"$bin" run all --tier smoke --out "$scratch/smoke" > "$scratch/run.log" 2>&1 || status=$?
# 0, or 3 when a job failed or diverged (its message is on its suite's page): both publishable.
[ "$status" = 0 ] || [ "$status" = 3 ] || { tail -20 "$scratch/run.log"; fail "tnbench run exited $status"; }
"$bin" publish "$scratch/smoke" --out "$scratch/site" > "$scratch/publish.log" 2>&1 \
    || { cat "$scratch/publish.log"; fail "tnbench publish"; }
grep -q "every link checked" "$scratch/publish.log" || { cat "$scratch/publish.log"; fail "publish did not check the links"; }

shots="${TNBENCH_SITE_SHOTS:-$scratch/screenshots}"
"$venv/bin/python" ci/site-check.py "$scratch/site" "$shots" > "$scratch/check.log" 2>&1 || true
cat "$scratch/check.log"
grep -q "^site-check: PASSED" "$scratch/check.log" || fail "see the lines above"
echo "site-test: PASSED ($(grep '^site-check: PASSED' "$scratch/check.log" | sed 's/^site-check: PASSED: //'))"
