#!/usr/bin/env bash
# The committed paper-tier references (Baselines/reference/paper/, reports/paper/): every suite's
# paper tier on this machine, or — where the full grid is days of a 2-core machine — a declared
# subset that holds every configuration a paper claim judges. All suites run into one results
# directory outside the checkout ($TNBENCH_PAPER_DIR/run, default ~/tnbench-paper/run), resumable:
# run the script again after an interruption and it goes on where it stopped (jobs resume from
# their checkpoints).
#
# The records themselves are committed too, in Baselines/records/paper/ (a run directory: run.json
# and jobs/, no logs or checkpoints), so that a later sitting on another machine starts from every
# record made so far: the script first copies the committed records it lacks into its directory,
# and copies each record it makes back as soon as its suite's runs return (`--collect` copies what
# is there now, mid-suite). When a suite has every planned job recorded, its reference is written
# (`tnbench baseline update --suite`) and the report of everything recorded — committed records
# included — goes to reports/paper/. Commit Baselines/records/paper/, Baselines/reference/paper/,
# reports/paper/ and the README table as they come.
#
#   bash ci/paper-references.sh                 every suite, cheapest first
#   bash ci/paper-references.sh MPONet TN4ML    these suites
#   bash ci/paper-references.sh --collect       copy the records made so far into the checkout
#
# The declared subsets (what a paper claim needs; a cluster runs the whole tier instead, e.g.
# `tnbench plan MPONet --tier paper --out DIR && tnbench submit DIR`):
#   CopyNodeInit  copy-node D ∈ {6, 10}, both numerics, 5 seeds (the claim: < 5% test error);
#                 Glorot / He / LeCun at D ∈ {2, 6, 10}, plain, 3 seeds (the plateau) — 47 of 720 jobs
#   RankRegularization  D_max = 10 regularized and the plain D = 10 MPS, 5 seeds — 10 of 100 jobs
#   MPONet        FC2, MPO-FC2 at D ∈ {2, 16}, 3 seeds; LeNet-5 and MPO-LeNet-5, 2 seeds (about
#                 40 min a one-thread job here) — 13 of 95 jobs
#   the others    the whole paper tier (StoudenmireMPS 15 jobs, TNNClassification 70,
#                 TNNRegression 20, KnowledgeDistillation 60 and 45 of the TorchMPS-style
#                 students, TN4ML 285)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/tnbench"
[ -x "$bin" ] || { echo "paper-references: no release build at $bin (run bash ci/setup.sh)"; exit 1; }
dir="${TNBENCH_PAPER_DIR:-$HOME/tnbench-paper}/run"
records=Baselines/records/paper
mkdir -p "$(dirname "$dir")"

# Copies the records (jobs/**/*.h5) that $1 has and $2 lacks, and run.json when $2 has none.
# Records are complete once they exist (written atomically) and never change, so a copy that is
# already there is the same record.
copy_records() {
    local from=$1 to=$2 copied=0 file
    [ -d "$from/jobs" ] || return 0
    mkdir -p "$to"
    [ -f "$to/run.json" ] || cp "$from/run.json" "$to/run.json"
    while IFS= read -r -d '' file; do
        file=${file#"$from"/}
        if [ ! -f "$to/$file" ]; then
            mkdir -p "$(dirname "$to/$file")"
            cp "$from/$file" "$to/$file.tmp-copy" && mv "$to/$file.tmp-copy" "$to/$file"
            copied=$((copied + 1))
        fi
    done < <(find "$from/jobs" -name '*.h5' -type f -print0)
    echo "paper-references: $copied record(s) copied from $from to $to"
}

copy_records "$records" "$dir"
if [ "${1:-}" = "--collect" ]; then
    copy_records "$dir" "$records"
    exit 0
fi

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
            # The others as one-thread jobs, two at a time: the LeNet-5 pair's numbers do not depend
            # on the thread count (its batch shards), and MPO-FC2's core products run on one
            # thread anyway; two jobs keep both cores busy where one job's second thread idles.
            run "$suite" --config network=mpo_fc2 --config D=2 --config D=16 --seeds 3 --jobs 2
            run "$suite" --config network=lenet5 --config network=mpo_lenet5 --seeds 2 --jobs 2 ;;
        KnowledgeDistillation)
            # The TorchMPS-style students beside native's at D = 10, 20, 40 (the second witness);
            # small one-thread jobs, two at a time.
            run "$suite" --jobs 2
            run "$suite" --implementation torchmps-style --config D=10 --config D=20 --config D=40 --jobs 2 ;;
        StoudenmireMPS)
            # m = 120 first: it holds the paper's table values (0.97% test, 0.05% training error),
            # and it is the longest (about 47 min a job on 2 threads); then the rest of the tier.
            run "$suite" --config m=120
            run "$suite" ;;
        TNNClassification | TNNRegression | TN4ML)
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
        copy_records "$dir" "$records"
        echo "paper-references: tnbench run $* exited $status; run the script again to resume"
        exit "$status"
    fi
}

for suite in "${suites[@]}"; do
    echo "paper-references: $suite"
    run_suite "$suite"
    copy_records "$dir" "$records"
    "$bin" baseline update "$dir" --suite "$suite" --allow-mixed-builds --reports reports
done
echo "paper-references: done; commit Baselines/records/paper/, Baselines/reference/paper/, reports/paper/ and the README table (tnbench baseline table --write README.md)"
