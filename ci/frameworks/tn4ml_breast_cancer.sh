#!/usr/bin/env bash
# Run ci/frameworks/tn4ml_breast_cancer.py (tn4ml's breast-cancer MPS classifier: epoch seconds per
# bond dimension, test accuracy) in a scratch virtualenv outside the repository, creating it if
# missing. All arguments go to the script, e.g.
#
#   bash ci/frameworks/tn4ml_breast_cancer.sh --bond-dims 2,5,10,20,50,100,200,400 --epochs 4 \
#       --threads 2 --embedding polynomial --json /tmp/tn4ml-results.json --full-train 20
#
# TN4ML_VENV overrides the venv location (default /work/venv-tn4ml if /work exists, else
# ~/.cache/tnbench/venv-tn4ml). It needs python3 >= 3.10 with venv, and PyPI. The data file comes
# from `tnbench data fetch` (TNBENCH_DATA_DIR, default ~/.cache/tnbench/data). Not part of CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -z "${TN4ML_VENV:-}" ]]; then
    if [[ -d /work ]]; then TN4ML_VENV=/work/venv-tn4ml; else TN4ML_VENV="$HOME/.cache/tnbench/venv-tn4ml"; fi
fi
# the versions measured on 2026-12-02; tn4ml imports matplotlib without declaring it
packages=(tn4ml==1.1.0 jax==0.10.2 jaxlib==0.10.2 optax==0.2.8 quimb==1.16.0 scikit-learn==1.9.1
          numpy==2.4.6 matplotlib==3.11.2)
if ! "$TN4ML_VENV/bin/python" -c "import tn4ml, jax, optax, quimb, sklearn, matplotlib" 2>/dev/null; then
    echo "creating $TN4ML_VENV" >&2
    python3 -m venv "$TN4ML_VENV"
    "$TN4ML_VENV/bin/pip" install --quiet --upgrade pip
    "$TN4ML_VENV/bin/pip" install --quiet "${packages[@]}"
fi
exec "$TN4ML_VENV/bin/python" "$here/tn4ml_breast_cancer.py" "$@"
