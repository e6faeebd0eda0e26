#!/usr/bin/env bash
# Regenerate the committed ReactDiff ablation table (the paper's Table 4) from fresh runs on the default
# (synthetic) dataset:
#   bash leaderboards/regenerate_ablations.sh
# trains and scores the full model with FULL_SEEDS (3 seeds) and every variant with VARIANT_SEEDS (2
# seeds), on TRACKS (a seed's fit is cached and shared by its tracks; an unfinished run resumes), then
# renders leaderboards/ablations.{md,csv} from the results files only (`react-bench table --group
# reactdiff`; docs/harness.md says how the table is computed).
# Each training takes 10+ minutes on 2 CPU cores: 3 + 5 x 2 = 13 fits.
#
# Environment (an empty VARIANTS, FULL_SEEDS or VARIANT_SEEDS means none: FULL_SEEDS= runs the variants only;
# an empty TRACKS or VARIANT_TRACKS means the default):
#   VARIANTS       names to run besides reactdiff
#   FULL_SEEDS, VARIANT_SEEDS, TRACKS, DEVICE
#   VARIANT_TRACKS tracks of the variants (default: TRACKS); VARIANT_TRACKS=offline skips their
#                  online generation and audit (several minutes a variant with one thread)
#   RUNS           runs folder (default runs-ablations, kept apart from the leaderboards' runs/; checkpoints
#                  are cached there too)
#   JOBS           fits run side by side (default 1). With JOBS=2 on 2 cores, give each one torch thread
#                  (THREADS=1). With the l2 default (before the prior) one thread ran a fit at ~0.8x the
#                  speed of two, so two side by side finished ~1.6x sooner. With the prior default it
#                  gains nothing: two one-thread fits side by side took 1791 and 1850 s (2026-12-03,
#                  partly sharing the cores with a leaderboard run), one two-thread fit alone 783 s.
#   THREADS        torch threads per fit (`--set num_threads=N`; default: the model config's). The thread
#                  count changes the float summation order, so it is part of the fit's cache key and of
#                  the run's options: every row of one table should use the same THREADS.
#   RUN_OPTIONS    extra options for every `react-bench run`, e.g. "--set preset=paper-exact" (such runs
#                  are rows of their own).
set -euo pipefail
cd "$(dirname "$0")/.."
source leaderboards/require_cli.sh

VARIANTS="${VARIANTS-reactdiff-lrs reactdiff-nommt reactdiff-nodiffusion reactdiff-novideo reactdiff-noaudio}"
FULL_SEEDS="${FULL_SEEDS-0 1 2}"
VARIANT_SEEDS="${VARIANT_SEEDS-0 1}"
TRACKS="${TRACKS:-offline online}"
VARIANT_TRACKS="${VARIANT_TRACKS:-$TRACKS}"
RUNS="${RUNS:-runs-ablations}"
DEVICE="${DEVICE:-cpu}"
JOBS="${JOBS:-1}"
RUN_OPTIONS="${RUN_OPTIONS:-}"
if [[ -n "${THREADS:-}" ]]; then
    RUN_OPTIONS="--set num_threads=$THREADS $RUN_OPTIONS"
fi
export RUNS DEVICE RUN_OPTIONS

run_one() {  # run_one NAME SEED TRACK...: the tracks of one fit, one after the other
    local name="$1" seed="$2" track
    shift 2
    for track in "$@"; do
        # shellcheck disable=SC2086  # RUN_OPTIONS is a list of options
        react-bench run "$name" --track "$track" --seed "$seed" --out "$RUNS" --device "$DEVICE" $RUN_OPTIONS
    done
}
export -f run_one

# The jobs, seed by seed: with fewer seeds finished than asked, the table still has every row.
jobs() {
    local seed name
    for seed in $FULL_SEEDS; do echo "reactdiff $seed $TRACKS"; done
    for seed in $VARIANT_SEEDS; do
        for name in $VARIANTS; do echo "$name $seed $VARIANT_TRACKS"; done
    done
}
jobs | xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' run_one

react-bench table --group reactdiff --track all --runs "$RUNS" --format md --out leaderboards/ablations.md
react-bench table --group reactdiff --track all --runs "$RUNS" --format csv --out leaderboards/ablations.csv
