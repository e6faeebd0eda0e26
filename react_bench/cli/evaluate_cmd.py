"""``react-bench evaluate``: score predictions made by any code base (the REACT submission format).

    react-bench evaluate --preds PRED.npy [--data DIR] [--split test] [--protocol react2024|corrected]
                         [--device cpu|cuda] [--out results.json] [--no-rea]

``PRED.npy`` is an ``(N, 10, T, 25)`` array in the split's mirrored sample order (see
``react_bench.data.ReactDataset``). Prints a table and writes a results JSON (atomically) with the
metrics, their directions, the protocol, the provenance, the dataset fingerprint, the SHA-256 of the
appropriateness matrix and of the predictions file. Without ``--data`` the default (synthetic)
dataset is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from react_bench.constants import EMOTION_DIM, NUM_GENERATIONS, SPLITS
from react_bench.metrics.evaluate import METRIC_DIRECTIONS, METRICS, evaluate
from react_bench.metrics.protocols import PROTOCOLS, REACT2024
from react_bench.utils import atomic_write_json, provenance, sha256_file

RESULTS_KIND = "react-bench-evaluate"
"""``kind`` field of the results files this command writes."""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="score an (N, 10, T, 25) prediction array on a split")
    parser.add_argument("--preds", type=Path, required=True, help="predictions .npy, (N, 10, T, 25), mirrored order")
    parser.add_argument("--data", type=Path, default=None, help="dataset root (default: the synthetic dataset)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="split the predictions are for (default test)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default=REACT2024,
                        help="react2024: official numbers, quirks included (default); corrected: quirks fixed")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1... (default: cpu)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results JSON to write (default: <preds>.<split>.<protocol>.json beside the predictions)")
    parser.add_argument("--no-rea", action="store_true", help="skip FRRea")
    parser.set_defaults(func=run)


def load_predictions(path: Path, n: int, frames: int) -> np.ndarray:
    """Read ``path`` and check it is ``(n, 10, frames, 25)``; ValueError naming the expected shape otherwise."""
    if not path.is_file():
        raise FileNotFoundError(f"--preds: no file at {str(path)!r}")
    try:
        preds = np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"--preds: {str(path)!r} is not a plain .npy array ({error})") from error
    expected = (n, NUM_GENERATIONS, frames, EMOTION_DIM)
    if preds.shape != expected:
        raise ValueError(
            f"--preds must be an array of shape (N, 10, T, 25) = {expected} for this split (N = {n} samples in the "
            f"mirrored order, T = {frames} frames); got {preds.shape}."
        )
    return preds


def run(args: argparse.Namespace) -> int:
    from react_bench.data import ReactDataset, default_data_root

    root = args.data if args.data is not None else default_data_root()
    ds = ReactDataset(root, args.split)
    targets = ds.emotion("listener")
    speaker = ds.emotion("speaker")
    preds = load_predictions(args.preds, len(ds), targets.shape[1])
    result = evaluate(preds, targets, speaker, ds.appropriateness(), protocol=args.protocol,
                      device=args.device, rea=not args.no_rea)
    record = {
        "kind": RESULTS_KIND,
        "metrics": {name: result[name] for name in (*METRICS, "FRCorr_per_gen") if name in result},
        "directions": {name: METRIC_DIRECTIONS[name] for name in (*METRICS, "FRCorr_per_gen") if name in result},
        "protocol": result["protocol"],
        "frrea_feature_space": result["frrea_feature_space"],
        "seconds": result["seconds"],
        "sizes": {key: result[key] for key in ("num_speakers", "num_generations", "num_frames", "num_targets")},
        "dataset": {
            "root": str(Path(root).resolve()),
            "split": args.split,
            "fingerprint": ds.fingerprint,
            "appropriateness_sha256": ds.appropriateness_sha256,
            "is_synthetic": ds.is_synthetic,
        },
        "predictions": {"path": str(args.preds.resolve()), "sha256": sha256_file(args.preds)},
        "provenance": provenance(),
    }
    out = args.out if args.out is not None else args.preds.with_name(f"{args.preds.stem}.{args.split}.{args.protocol}.json")
    atomic_write_json(out, record)
    print(format_table(record))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def format_table(record: dict) -> str:
    """The metrics of a results record as a fixed-width text table."""
    lines = [f"protocol {record['protocol']}, split {record['dataset']['split']}, "
             f"N = {record['sizes']['num_speakers']}", f"{'metric':<16}{'value':>12}  {'better':<8}{'seconds':>9}"]
    for name, value in record["metrics"].items():
        shown = "n/a" if value is None else f"{value:.4f}"
        seconds = record["seconds"].get(name.replace("_per_gen", ""))
        sec = "" if seconds is None else f"{seconds:.2f}"
        lines.append(f"{name:<16}{shown:>12}  {record['directions'][name]:<8}{sec:>9}")
    if record.get("frrea_feature_space"):
        lines.append(f"FRRea feature space: {record['frrea_feature_space']}")
    return "\n".join(lines)
