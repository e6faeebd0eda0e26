#!/usr/bin/env bash
# Regenerate the committed ReactDiff ablation table (the paper's Table 4) from fresh runs on the default
# (synthetic) dataset:
#   bash leaderboards/regenerate_ablations.sh
# trains and scores the full model with FULL_SEEDS (3 seeds) and every variant with VARIANT_SEEDS (2
# seeds), on both tracks (a seed's fit is cached and shared by its two tracks; an unfinished run
# resumes), then renders leaderboards/ablations.{md,csv} from the results files only
# (`react-bench table --group reactdiff`; docs/harness.md says how the table is computed).
# Each training takes 10+ minutes on CPU: 3 + 5 x 2 = 13 fits. Environment: VARIANTS (names to run
# besides reactdiff), FULL_SEEDS, VARIANT_SEEDS, TRACKS, RUNS (runs folder), DEVICE, RUN_OPTIONS (extra
# options for every `react-bench run`, e.g. "--set preset=paper-exact": such runs are rows of their own).
set -euo pipefail
cd "$(dirname "$0")/.."

VARIANTS="${VARIANTS:-reactdiff-lrs reactdiff-nommt reactdiff-nodiffusion reactdiff-novideo reactdiff-noaudio}"
FULL_SEEDS="${FULL_SEEDS:-0 1 2}"
VARIANT_SEEDS="${VARIANT_SEEDS:-0 1}"
TRACKS="${TRACKS:-offline online}"
RUNS="${RUNS:-runs}"
DEVICE="${DEVICE:-cpu}"
RUN_OPTIONS="${RUN_OPTIONS:-}"

run() {  # run NAME SEED...
    local name="$1"; shift
    for seed in "$@"; do
        for track in $TRACKS; do
            # shellcheck disable=SC2086  # RUN_OPTIONS is a list of options
            react-bench run "$name" --track "$track" --seed "$seed" --out "$RUNS" --device "$DEVICE" $RUN_OPTIONS
        done
    done
}

# shellcheck disable=SC2086  # the seed lists are lists
run reactdiff $FULL_SEEDS
for name in $VARIANTS; do
    # shellcheck disable=SC2086
    run "$name" $VARIANT_SEEDS
done

react-bench table --group reactdiff --track all --runs "$RUNS" --format md --out leaderboards/ablations.md
react-bench table --group reactdiff --track all --runs "$RUNS" --format csv --out leaderboards/ablations.csv
