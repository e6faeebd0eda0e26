"""Measure what the synthetic dataset can tell apart (issue 10, "Must show"), with paired bootstrap CIs.

    python scripts/measure_synth.py --seed 0 --size medium [--data DIR] [--json OUT.json]

Generates the dataset (or takes ``--data``), builds the split's targets two ways,

- ``extended``: the N real listeners plus the N * R extra true reactions, with the (N, N + N R)
  matrix marking a sample's own listener and its own R extra reactions;
- ``own``: the N real listeners alone, identity matrix (the official-style single target),

and scores Mime, the Oracle, the averaged oracle (mean of 30 independent oracle draws, repeated 10 times), the
Oracle given another sample's speaker (a shuffled input), the Oracle drawing everything per generation
(`draws="independent"`), ridge, the naive baselines, and the stored true reactions themselves (the R
extra reactions as the generations), with ``evaluate(..., per_speaker=True)`` and ``fr_energy``.
Differences are paired over ALL speakers: 2000 bootstrap resamples of the N speakers, 95%
percentile intervals. Submissions are called directly (no runner, no results files).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from react_bench.baselines import GroundTruth, MeanFr, MeanSeq, Oracle, RandomReaction, Ridge
from react_bench.constants import NUM_GENERATIONS
from react_bench.data import ReactDataset, generate_dataset
from react_bench.data.extra_reactions import read_extra_reactions
from react_bench.metrics.energy import fr_energy
from react_bench.metrics.evaluate import evaluate
from react_bench.runner import SpeakerStreams

METRICS = ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FREnergy")
AVERAGED_DRAWS = 30


def targets(ds: ReactDataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"extended": (targets (N + N R, T, 25), appropriate (N, N + N R)), "own": (listeners, eye)}``."""
    listeners = ds.emotion("listener")  # (N, T, 25)
    n, frames, _ = listeners.shape
    extra = np.stack([read_extra_reactions(ds.root, ds.split, c)[:, :frames] for c in ds.clip_paths("listener")])
    r = extra.shape[1]
    matrix = np.zeros((n, n + n * r), dtype=np.uint8)
    matrix[np.arange(n), np.arange(n)] = 1
    for k in range(n):
        matrix[k, n + k * r : n + (k + 1) * r] = 1
    return {
        "extended": (np.concatenate([listeners, extra.reshape(n * r, frames, -1)]), matrix),
        "own": (listeners, np.eye(n, dtype=np.uint8)),
    }, extra


def shuffled_order(n: int, seed: int) -> np.ndarray:
    """A permutation that gives each sample the speaker of another dyad (never its own, never its partner's)."""
    rng = np.random.default_rng(seed)
    half = n // 2
    while True:
        perm = rng.permutation(n)
        if not np.any((perm % half) == (np.arange(n) % half)):
            return perm


def predictions(root: Path, split: str, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``{name: (N, 10, T, 25)}`` for every measured submission, and the speaker ``(N, T, 25)``."""
    ds = ReactDataset(root, split)
    train, val = ReactDataset(root, "train"), ReactDataset(root, "val")
    streams = SpeakerStreams(ds)
    everyone = np.arange(len(ds))
    batch = streams.batch(everyone)
    gen = lambda offset: torch.Generator().manual_seed(1000 * seed + offset)  # noqa: E731
    g = NUM_GENERATIONS
    out: dict[str, np.ndarray] = {}
    speaker = ds.emotion("speaker")

    oracle = Oracle()
    oracle.bind(ds)
    out["oracle"] = oracle.generate(batch, num_samples=g, generator=gen(1)).emotion.numpy()

    out["oracle-shuffled"] = oracle.generate(
        streams.batch(shuffled_order(len(ds), seed)), num_samples=g, generator=gen(3)
    ).emotion.numpy()
    independent = Oracle(draws="independent")
    independent.bind(ds)
    out["oracle-independent"] = independent.generate(batch, num_samples=g, generator=gen(4)).emotion.numpy()
    # The averaged oracle: the mean of 30 independent draws (an estimate of the posterior mean), repeated.
    averaged = independent.generate(batch, num_samples=AVERAGED_DRAWS, generator=gen(2)).emotion.numpy().mean(axis=1)
    out["oracle-averaged"] = np.repeat(averaged[:, None], g, axis=1)
    out["mime"] = np.repeat(speaker[:, None], g, axis=1)
    ridge = Ridge()
    ridge.fit(train, val=val, seed=seed)
    out["ridge"] = ridge.generate(batch, num_samples=g, generator=gen(5)).emotion.numpy()
    out["random"] = RandomReaction().generate(batch, num_samples=g, generator=gen(6)).numpy()
    for name, cls in (("meanseq", MeanSeq), ("meanfr", MeanFr)):
        sub = cls()
        sub.fit(train, seed=seed)
        out[name] = sub.generate(batch, num_samples=g, generator=gen(7)).emotion.numpy()
    gt = GroundTruth()
    gt.bind(ds)
    out["gt"] = gt.generate(batch, num_samples=g, generator=gen(8)).emotion.numpy()
    return out, speaker


def score(preds: np.ndarray, tgt: np.ndarray, matrix: np.ndarray, speaker: np.ndarray) -> dict[str, np.ndarray]:
    """Per-speaker ``(N,)`` values of every metric (FRDvs: each speaker's share; mean = the metric)."""
    result = evaluate(preds, tgt, speaker, matrix, rea=False, per_speaker=True)
    per = {name: np.asarray(result["per_speaker"][name]) for name in result["per_speaker"]}
    per["FREnergy"] = fr_energy(preds, tgt, matrix, reduction="none").numpy()
    return per


def bootstrap(diff: np.ndarray, resamples: int, seed: int) -> tuple[float, float, float]:
    """Mean of a paired per-speaker difference ``(N,)`` and its 95% percentile bootstrap interval."""
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def ratio_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int, seed: int) -> tuple[float, float, float]:
    """``mean(a) / mean(b)`` over speakers and its paired 95% bootstrap interval."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(resamples, len(a)))
    ratios = a[idx].mean(axis=1) / b[idx].mean(axis=1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(a.mean() / b.mean()), float(low), float(high)


MUST_SHOW = [
    # (item, a, b, metric, the sign the bar asks of a - b)
    ("1", "oracle", "mime", "FRCorr", ">0"),
    ("1", "oracle", "mime", "FRDist", "<0"),
    ("1", "oracle", "mime", "FREnergy", "<0"),
    *[("2", "oracle", other, "FREnergy", "<0") for other in
      ("oracle-averaged", "oracle-shuffled", "mime", "ridge", "random", "meanseq", "meanfr")],
    ("3", "oracle-shuffled", "oracle", "FRCorr", "<0"),
    ("3", "oracle-shuffled", "oracle", "FRDist", ">0"),
    ("3", "oracle-shuffled", "oracle", "FREnergy", ">0"),
    ("4", "ridge", "mime", "FRCorr", ">0"),
    ("4", "ridge", "mime", "FRDist", "<0"),
    # Information: the Oracle's independent-draws variant (the approximate marginal posterior).
    ("info", "oracle-independent", "oracle", "FREnergy", "<0"),
    ("info", "oracle-independent", "oracle-averaged", "FREnergy", "<0"),
]


def measure(root: Path, split: str, seed: int, resamples: int) -> dict:
    ds = ReactDataset(root, split)
    sets, extra = targets(ds)
    start = time.perf_counter()
    preds, speaker = predictions(root, split, seed)
    preds["true-reactions"] = extra  # (N, R, T, 25): the R stored draws as generations
    print(f"predictions: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    scores = {}
    for set_name, (tgt, matrix) in sets.items():
        for name, p in preds.items():
            scores[(set_name, name)] = score(p, tgt, matrix, speaker)
        print(f"scored against {set_name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)

    report = {"root": str(root), "split": split, "seed": seed, "resamples": resamples, "num_speakers": len(ds),
              "extra_reactions": int(extra.shape[1]), "means": {}, "must_show": [], "frdiv_ratio": {}}
    for (set_name, name), per in scores.items():
        report["means"].setdefault(set_name, {})[name] = {m: float(per[m].mean()) for m in METRICS}
    for set_name in sets:
        for number, (item, a, b, metric, sign) in enumerate(MUST_SHOW):
            mean, low, high = bootstrap(scores[(set_name, a)][metric] - scores[(set_name, b)][metric],
                                        resamples, seed=number)
            holds = high < 0 if sign == "<0" else low > 0
            report["must_show"].append({"targets": set_name, "item": item, "a": a, "b": b, "metric": metric,
                                        "bar": sign, "diff": mean, "low": low, "high": high, "holds": bool(holds)})
        for name in ("oracle", "oracle-independent"):
            r = ratio_bootstrap(scores[(set_name, name)]["FRDiv"], scores[(set_name, "true-reactions")]["FRDiv"],
                                resamples, seed=99)
            report["frdiv_ratio"][f"{set_name}/{name}"] = {"ratio": r[0], "low": r[1], "high": r[2],
                                                           "holds": bool(0.8 <= r[0] <= 1.2)}
    return report


def format_report(report: dict) -> str:
    lines = [f"dataset {report['root']} split {report['split']} (N = {report['num_speakers']}, "
             f"R = {report['extra_reactions']}, {report['resamples']} resamples)"]
    for set_name, table in report["means"].items():
        lines += ["", f"means against {set_name} targets", "| submission | " + " | ".join(METRICS) + " |",
                  "|---|" + "---|" * len(METRICS)]
        for name, values in table.items():
            lines.append(f"| {name} | " + " | ".join(f"{values[m]:.4g}" for m in METRICS) + " |")
    lines += ["", "| targets | item | a - b | metric | diff [95% CI] | bar | holds |", "|---|---|---|---|---|---|---|"]
    for row in report["must_show"]:
        lines.append(f"| {row['targets']} | {row['item']} | {row['a']} - {row['b']} | {row['metric']} | "
                     f"{row['diff']:+.4g} [{row['low']:+.4g}, {row['high']:+.4g}] | {row['bar']} | "
                     f"{'yes' if row['holds'] else 'NO'} |")
    for key, r in report["frdiv_ratio"].items():
        lines.append(f"FRDiv ratio {key} / true-reactions: {r['ratio']:.3f} [{r['low']:.3f}, {r['high']:.3f}] "
                     f"(item 5, within 20%: {'yes' if r['holds'] else 'NO'})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="an existing synthetic dataset (else one is generated)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (and the submissions' seed)")
    parser.add_argument("--size", default="medium", choices=("small", "medium"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/react-bench-measure"), help="where to generate")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None, help="write the report as JSON here")
    args = parser.parse_args(argv)
    root = args.data
    if root is None:
        root = args.out / f"synthetic-{args.size}-seed{args.seed}"
        if not (root / "synthetic.json").is_file():
            start = time.perf_counter()
            generate_dataset(root, seed=args.seed, size=args.size)
            print(f"generated {root} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    report = measure(root, args.split, args.seed, args.resamples)
    print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
