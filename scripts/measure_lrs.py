"""Measure prediction 2 of docs/reactdiff-lrs.md: does LRS carry the listener person's level of valence
and arousal from the reference clip into its reactions, where the base ReactDiff cannot?

    python scripts/measure_lrs.py --runs runs-ablations [--data DIR] [--json OUT.json]

For every training seed with an offline test run of both ``reactdiff`` and ``reactdiff-lrs`` under
``--runs`` (the newest of each, same options), reads the generated emotions ``(N, S, T, 25)`` from
``predictions.npy`` and the test split's listener emotions, and computes per sample k:

- ``gen``: the mean valence (arousal) of k's S generated reactions over all frames;
- ``reference``: the mean of k's reference clip (the LRS rule, :func:`reference_samples`: the
  listener person's next clip, never k's own);
- ``target``: the mean of k's own true listener.

Reported per channel, for each model, averaged over seeds: the Pearson correlation of ``gen`` with
``reference`` and with ``target``, and the mean absolute level error ``|gen - target|``; and the
LRS - base differences, with 95% percentile bootstrap CIs over samples (2000 resamples, the same
resampled samples for both models and every seed). Samples without a reference are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from react_bench.constants import VA_SLICE
from react_bench.data import ReactDataset
from react_bench.leaderboard.collect import load_results, run_seed, submission_options
from react_bench.data.default import default_data_root
from react_bench.models.reactdiff.lrs import reference_samples

from paired_compare import seed_runs  # scripts/: the newest run per seed, one option set

CHANNELS = ("valence", "arousal")
RESAMPLES = 2000


def sample_levels(record: dict) -> np.ndarray:
    """``(N, 2)``: each sample's mean generated valence and arousal over its S reactions and T frames."""
    predictions = np.load(Path(record["_path"]) / record["predictions"]["emotion"], mmap_mode="r")
    return np.asarray(predictions[..., VA_SLICE], dtype=np.float64).mean(axis=(1, 2))


def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Correlation of ``x`` and ``y`` along the last-but-one axis: ``(..., n, C) -> (..., C)``."""
    x = x - x.mean(axis=-2, keepdims=True)
    y = y - y.mean(axis=-2, keepdims=True)
    return (x * y).sum(-2) / np.sqrt((x * x).sum(-2) * (y * y).sum(-2))


def statistics(gen: np.ndarray, reference: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """``gen (..., R, n, 2)`` over seeds, ``reference``/``target`` broadcastable to it -> each statistic
    ``(..., 2)``, averaged over the R seeds."""
    return {
        "corr_reference": pearson(gen, reference).mean(-2),
        "corr_target": pearson(gen, target).mean(-2),
        "level_error": np.abs(gen - target).mean(-2).mean(-2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="runs-ablations")
    parser.add_argument("--data", default=None, help="dataset root (default: the default synthetic dataset)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    results = load_results(args.runs)
    base, lrs = ({run_seed(r): r for r in seed_runs(results, name, track="offline", split="test")}
                 for name in ("reactdiff", "reactdiff-lrs"))
    seeds = sorted(set(base) & set(lrs))
    if not seeds:
        print(f"no seed has offline test runs of both reactdiff and reactdiff-lrs under {args.runs}", file=sys.stderr)
        return 2
    options = {submission_options(r) for s in seeds for r in (base[s], lrs[s])}
    test = ReactDataset(Path(args.data) if args.data else default_data_root(), "test")
    listener = test.emotion("listener")[..., VA_SLICE].astype(np.float64).mean(axis=1)  # (N, 2)
    reference_index = reference_samples(test.clip_paths("listener"))
    keep = reference_index >= 0
    reference, target = listener[reference_index[keep]], listener[keep]

    gens = {name: np.stack([sample_levels(runs[s])[keep] for s in seeds])  # (R, n, 2)
            for name, runs in (("reactdiff", base), ("reactdiff-lrs", lrs))}
    rng = np.random.default_rng(0)
    idx = rng.integers(0, int(keep.sum()), size=(RESAMPLES, int(keep.sum())))
    point = {name: statistics(g, reference, target) for name, g in gens.items()}
    boot = {name: statistics(g[:, idx].transpose(1, 0, 2, 3), reference[idx][:, None], target[idx][:, None])
            for name, g in gens.items()}  # (B, R, n, 2) against (B, 1, n, 2)

    report = {"seeds": seeds, "options": sorted(options), "samples": int(keep.sum()), "channels": CHANNELS, "rows": {}}
    for stat in point["reactdiff"]:
        for c, channel in enumerate(CHANNELS):
            row = {name: float(point[name][stat][c]) for name in gens}
            cis = {name: np.percentile(boot[name][stat][:, c], [2.5, 97.5]).tolist() for name in gens}
            diff = boot["reactdiff-lrs"][stat][:, c] - boot["reactdiff"][stat][:, c]
            row.update({f"{name} CI": cis[name] for name in gens})
            row["lrs - base"] = row["reactdiff-lrs"] - row["reactdiff"]
            row["lrs - base CI"] = np.percentile(diff, [2.5, 97.5]).tolist()
            report["rows"][f"{stat} {channel}"] = row
    print(f"seeds {seeds}, {report['samples']} test samples with a reference, options {report['options']}")
    print(f"{'statistic':<24} {'reactdiff':>10} {'reactdiff-lrs':>14} {'lrs - base [95% CI]':>28}")
    for key, row in report["rows"].items():
        lo, hi = row["lrs - base CI"]
        print(f"{key:<24} {row['reactdiff']:>10.3f} {row['reactdiff-lrs']:>14.3f} {row['lrs - base']:>+10.3f} [{lo:+.3f}, {hi:+.3f}]")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
