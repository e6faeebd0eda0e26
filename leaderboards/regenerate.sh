#!/usr/bin/env bash
# Regenerate the committed leaderboards from fresh runs on the default (synthetic) dataset:
#   bash leaderboards/regenerate.sh
# runs every baseline on both tracks (fits are cached, unfinished runs resume), then renders
# leaderboards/{offline,online}.{md,csv}, the page leaderboards/index.html and the PNG plots in
# leaderboards/plots/ from the results files only. Environment: SUBMISSIONS (names to run), RUNS
# (runs folder), DEVICE.
set -euo pipefail
cd "$(dirname "$0")/.."
source leaderboards/require_cli.sh

SUBMISSIONS="${SUBMISSIONS:-gt random mime meanseq meanfr oracle ridge reactdiff}"
RUNS="${RUNS:-runs}"
DEVICE="${DEVICE:-cpu}"

for track in offline online; do
    for name in $SUBMISSIONS; do
        react-bench run "$name" --track "$track" --out "$RUNS" --device "$DEVICE"
    done
done
for track in offline online; do
    react-bench table --track "$track" --runs "$RUNS" --out "leaderboards/$track.md" --plots leaderboards/plots
    react-bench table --track "$track" --runs "$RUNS" --format csv --out "leaderboards/$track.csv"
done
react-bench table --track all --runs "$RUNS" --format html --out leaderboards/index.html --plots leaderboards/plots
