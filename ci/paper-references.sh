#!/usr/bin/env bash
# The committed paper-tier references (Baselines/reference/paper/, reports/paper/): every suite's
# paper tier on this machine, or — where the full grid is days of a 2-core machine — a declared
# subset that holds every configuration a paper claim judges. All suites run into one results
# directory outside the checkout ($TNBENCH_PAPER_DIR, default ~/tnbench-paper), resumable: run the
# script again after an interruption, in a later sitting, and it goes on where it stopped (jobs
# resume from their checkpoints). When a suite has every planned job recorded, its reference is
# written (`tnbench baseline update --suite`) and the report of everything recorded so far goes to
# reports/paper/; commit both as they come.
#
#   bash ci/paper-references.sh                 every suite, cheapest first
#   bash ci/paper-references.sh MPONet TN4ML    these suites
#
# The declared subsets (what a paper claim needs; a cluster runs the whole tier instead, e.g.
# `tnbench plan MPONet --tier paper --out DIR && tnbench submit DIR`):
#   CopyNodeInit  copy-node D ∈ {6, 10}, both numerics, 5 seeds (the claim: < 5% test error);
#                 Glorot / He / LeCun at D ∈ {2, 6, 10}, plain, 3 seeds (the plateau) — 47 of 720 jobs
#   RankRegularization  D_max = 10 regularized and the plain D = 10 MPS, 5 seeds — 10 of 100 jobs
#   MPONet        FC2, MPO-FC2 at D ∈ {2, 16}, 3 seeds; LeNet-5 and MPO-LeNet-5, 2 seeds (an hour
#                 a job here) — 13 of 95 jobs
#   the others    the whole paper tier (StoudenmireMPS 15 jobs, TNNClassification 70,
#                 TNNRegression 20, KnowledgeDistillation 60, TN4ML 285)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/tnbench"
[ -x "$bin" ] || { echo "paper-references: no release build at $bin (run bash ci/setup.sh)"; exit 1; }
dir="${TNBENCH_PAPER_DIR:-$HOME/tnbench-paper}/run"
mkdir -p "$(dirname "$dir")"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(TNNRegression TNNClassification RankRegularization KnowledgeDistillation TN4ML CopyNodeInit StoudenmireMPS MPONet)

# One suite's runs (several filters into the same directory extend its plan).
run_suite() {
    local suite=$1
    case "$suite" in
        CopyNodeInit)
            run "$suite" --config init=copy_node --config D=6 --config D=10 --seeds 5
            run "$suite" --config init=glorot --config init=he --config init=lecun --config D=2 --config D=6 --config D=10 \
                --config numerics=plain --seeds 3 ;;
        RankRegularization)
            run "$suite" --config D_max=10 --seeds 5 ;;
        MPONet)
            run "$suite" --config network=fc2 --seeds 3
            run "$suite" --config network=mpo_fc2 --config D=2 --config D=16 --seeds 3
            run "$suite" --config network=lenet5 --config network=mpo_lenet5 --seeds 2 ;;
        StoudenmireMPS | TNNClassification | TNNRegression | KnowledgeDistillation | TN4ML)
            run "$suite" ;;
        *)
            echo "paper-references: unknown suite '$suite'"; exit 2 ;;
    esac
}

# `tnbench run` into the shared directory. Exit 0 (all completed) and 3 (some failed or diverged,
# recorded) both mean every job has a record; anything else (an interruption, a full disk) stops here.
run() {
    local status=0
    "$bin" run "$@" --tier paper --out "$dir" --allow-mixed-builds || status=$?
    if [ "$status" != 0 ] && [ "$status" != 3 ]; then
        echo "paper-references: tnbench run $* exited $status; run the script again to resume"
        exit "$status"
    fi
}

for suite in "${suites[@]}"; do
    echo "paper-references: $suite"
    run_suite "$suite"
    "$bin" baseline update "$dir" --suite "$suite" --allow-mixed-builds --reports reports
done
echo "paper-references: done; commit Baselines/reference/paper/, reports/paper/ and the README table (tnbench baseline table --write README.md)"
