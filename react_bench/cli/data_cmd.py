"""``react-bench data``: create the synthetic dataset (``synth``) and validate a dataset (``check``).

    react-bench data synth [--out DIR] [--seed N] [--size small|medium]
    react-bench data check DIR     # exit 1 and one line per problem when anything is wrong
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from react_bench.data.check import inspect_dataset
from react_bench.data.default import synthetic_dataset_path
from react_bench.data.synth import SIZES, generate_dataset


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("data", help="create the synthetic dataset or check a dataset")
    commands = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    synth = commands.add_parser("synth", help="generate the synthetic dyadic dataset in the REACT2024 layout")
    synth.add_argument("--out", type=Path, default=None,
                       help="new folder to write (default: the cache folder, synthetic-<size>-seed<seed>)")
    synth.add_argument("--seed", type=int, default=0, help="master seed (same seed, same bytes; default 0)")
    synth.add_argument("--size", choices=sorted(SIZES), default="medium",
                       help="medium: 150/30/30 train/val/test dyads (default); small: 6/3/3, for tests")
    synth.set_defaults(func=_synth)

    check = commands.add_parser("check", help="report every problem of a dataset, then a summary")
    check.add_argument("root", type=Path, metavar="DIR", help="dataset root (holds train.csv, val.csv, test.csv)")
    check.set_defaults(func=_check)


def _synth(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else synthetic_dataset_path(args.size, args.seed)
    print(f"generating the {args.size} synthetic dataset (seed {args.seed}) in {out}", file=sys.stderr)
    start = time.perf_counter()
    generate_dataset(out, seed=args.seed, size=args.size, progress=True)
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s ({_disk_usage(out)})")
    return 0


def _check(args: argparse.Namespace) -> int:
    report = inspect_dataset(args.root)
    for problem in report.problems:
        print(f"problem: {problem}")
    print(report.format_summary())
    if report.problems:
        print(f"{len(report.problems)} problem(s) found", file=sys.stderr)
        return 1
    print("no problems found")
    return 0


def _disk_usage(path: Path) -> str:
    total = sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    return f"{total / 1e6:.0f} MB in files"
