#!/usr/bin/env bash
# Sets up a fresh Debian machine for TNBench, idempotently: the native libraries (OpenBLAS,
# LAPACKE, HDF5, zlib), gnuplot, the Fashion-MNIST package, then the data sets (MNIST, breast
# cancer) under the data directory (TNBENCH_DATA_DIR, else ~/.cache/tnbench/data).
#
#   bash ci/setup.sh            # packages + release build of tnbench + data
#   bash ci/setup.sh --no-data  # packages only
#
# Uses sudo when not root. Safe to re-run: installed packages and verified data are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libopenblas-dev liblapacke-dev libhdf5-dev zlib1g-dev gnuplot-nox
          hdf5-tools python3-pip dataset-fashion-mnist)
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "setup: native packages present"
fi

# pip may come from pyenv rather than Debian; either serves `pip download`.
command -v pip >/dev/null || command -v pip3 >/dev/null || python3 -m pip --version >/dev/null

[ "${1:-}" = "--no-data" ] && exit 0
swift build -c release --product tnbench
"$(swift build -c release --show-bin-path)/tnbench" data fetch
