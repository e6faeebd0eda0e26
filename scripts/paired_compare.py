"""Does one submission beat others? Paired differences over speakers, from results files only.

    python scripts/paired_compare.py --runs runs-ablations runs --model reactdiff --against mime ridge

For ``--model`` and each ``--against`` submission, takes the newest run per training seed on
``--track``/``--split`` (any options; every results.json under the ``--runs`` folders) made with the
newest run's config (:func:`react_bench.leaderboard.collect.current_model_runs`), averages each
submission's per-speaker values over its seeds, and prints ``model - other`` per metric: the mean
over speakers with its 95% percentile bootstrap CI (2000 resamples of speakers,
:func:`react_bench.leaderboard.stats.paired_difference`, the ablation table's rule). A CI that
excludes 0 is marked ``*``; read its sign with the metric's direction. The CI is over speakers only:
with one seed it says nothing about training noise (the brief: "a training result is a mean over seeds").
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from react_bench.leaderboard.collect import current_model_runs, latest_seed_runs, load_results, run_seed, submission_options
from react_bench.leaderboard.stats import paired_difference, per_speaker_values

METRICS = ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FREnergy")


def seed_runs(results: list[dict], name: str, *, track: str, split: str, options: str | None = None) -> list[dict]:
    """The newest run per seed of ``name``; ``options`` (canonical JSON of ``--set`` options) picks one
    option set when the runs have several (a seed never counts twice)."""
    runs = latest_seed_runs(results, track=track, split=split, names={name: name})
    if options is not None:
        runs = [r for r in runs if submission_options(r) == json.dumps(json.loads(options), sort_keys=True)]
    if not runs:
        raise SystemExit(f"no {track} {split} run of {name!r}{'' if options is None else ' with options ' + options} "
                         f"in the given runs folders")
    found = sorted({submission_options(r) for r in runs})
    if len(found) > 1:
        raise SystemExit(f"the runs of {name!r} have {len(found)} option sets {found}; pick one with "
                         f"--options (for the model) or --against-options")
    runs, left_out = current_model_runs(runs)
    if left_out:
        print(f"{name}: {left_out} seed run(s) made with an older config than the newest run left out", file=sys.stderr)
    datasets = {r["dataset"]["fingerprint"] for r in runs}
    if len(datasets) > 1:
        raise SystemExit(f"the runs of {name!r} were scored on {len(datasets)} different datasets: {sorted(datasets)}")
    return runs


def compare(model: list[dict], other: list[dict], metric: str) -> dict | None:
    mine = [per_speaker_values(r, metric) for r in model]
    theirs = [per_speaker_values(r, metric) for r in other]
    if any(v is None for v in mine + theirs):
        return None
    value, (lo, hi) = paired_difference(np.stack(mine), np.stack(theirs))
    return {"difference": value, "ci": [lo, hi], "excludes_zero": bool(lo > 0 or hi < 0),
            "direction": model[0]["metrics"][metric]["direction"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", nargs="+", default=["runs"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--against", nargs="+", required=True)
    parser.add_argument("--track", default="offline")
    parser.add_argument("--split", default="test")
    parser.add_argument("--metrics", nargs="+", default=list(METRICS))
    parser.add_argument("--options", default=None, help="the model's runs with these options only (JSON, e.g. '{}')")
    parser.add_argument("--against-options", default=None, help="the same for the other submissions")
    parser.add_argument("--json", default=None, help="also write the differences to this file")
    args = parser.parse_args(argv)

    results = [record for folder in args.runs for record in load_results(folder)]
    model = seed_runs(results, args.model, track=args.track, split=args.split, options=args.options)
    report = {"model": args.model, "seeds": [run_seed(r) for r in model],
              "options": sorted({submission_options(r) for r in model}), "against": {}}
    print(f"{args.model}: seeds {report['seeds']}, options {report['options']}; {args.track}, {args.split}")
    for name in args.against:
        other = seed_runs(results, name, track=args.track, split=args.split, options=args.against_options)
        if other[0]["dataset"]["fingerprint"] != model[0]["dataset"]["fingerprint"]:
            raise SystemExit(f"{name!r} and {args.model!r} were scored on different datasets")
        rows = {m: d for m in args.metrics if (d := compare(model, other, m)) is not None}
        report["against"][name] = {"seeds": [run_seed(r) for r in other], "differences": rows}
        print(f"  - {name} (seeds {report['against'][name]['seeds']}):")
        for metric, d in rows.items():
            mark = "*" if d["excludes_zero"] else " "
            arrow = "↑" if d["direction"] == "higher" else "↓"
            print(f"    {metric:<9}{arrow} {d['difference']:+.4g} [{d['ci'][0]:+.4g}, {d['ci'][1]:+.4g}] {mark}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
