"""``react-bench data``: create the synthetic dataset (``synth``) and validate a dataset (``check``).

    react-bench data synth [--out DIR] [--seed N] [--size small|medium] [--layout react2024|mars [--edition 2025|2026]]
    react-bench data check DIR     # either layout; exit 1 and one line per problem when anything is wrong
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from react_bench.data.check import inspect_dataset
from react_bench.data.default import synthetic_dataset_path
from react_bench.data.mars import check_mars, detect_layout, write_mars_layout
from react_bench.data.synth import SIZES, generate_dataset
from react_bench.errors import BadInputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("data", help="create the synthetic dataset or check a dataset")
    commands = parser.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    synth = commands.add_parser("synth", help="generate the synthetic dyadic dataset in the REACT2024 layout")
    synth.add_argument("--out", type=Path, default=None,
                       help="new folder to write (default: the cache folder, synthetic-<size>-seed<seed>)")
    synth.add_argument("--seed", type=int, default=0, help="master seed (same seed, same bytes; default 0)")
    synth.add_argument("--size", choices=sorted(SIZES), default="medium",
                       help="medium: 150/30/30 train/val/test dyads (default); small: 6/3/3, for tests")
    synth.add_argument("--layout", choices=("react2024", "mars"), default="react2024",
                       help="react2024 (default) or mars: the REACT2025/2026 layout, 30 fps (docs/real-data.md)")
    synth.add_argument("--edition", choices=("2025", "2026"), default="2025",
                       help="with --layout mars: 2026 adds the personality and EEG tables")
    synth.set_defaults(func=_synth)

    check = commands.add_parser("check", help="report every problem of a dataset, then a summary")
    check.add_argument("root", type=Path, metavar="DIR", help="dataset root (holds train.csv, val.csv, test.csv)")
    check.set_defaults(func=_check)


def _synth(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else synthetic_dataset_path(args.size, args.seed)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInputError(f"{out} already exists and is not empty; choose another --out or delete it first")
    print(f"generating the {args.size} synthetic dataset (seed {args.seed}) in {out}", file=sys.stderr)
    start = time.perf_counter()
    if args.layout == "mars":
        with tempfile.TemporaryDirectory(dir=out.parent if out.parent.is_dir() else None) as tmp:
            source = generate_dataset(Path(tmp) / "react2024", seed=args.seed, size=args.size, progress=True)
            write_mars_layout(source, out, edition=args.edition, seed=args.seed)
    else:
        generate_dataset(out, seed=args.seed, size=args.size, progress=True)
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s ({_disk_usage(out)})")
    return 0


def _check(args: argparse.Namespace) -> int:
    if detect_layout(args.root) == "mars":
        problems = check_mars(args.root)
        for problem in problems:
            print(f"problem: {problem}")
        summary = None
    else:
        report = inspect_dataset(args.root)
        problems = report.problems
        for problem in problems:
            print(f"problem: {problem}")
        summary = report.format_summary()
        _warn_rule_matrix(args.root)
    if summary:
        print(summary)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("no problems found")
    return 0


def _warn_rule_matrix(root: Path) -> None:
    """Real data without the official matrix files is scored with our rule: say so."""
    from react_bench.data.appropriateness import appropriateness_source
    from react_bench.data.synth.generate import MARKER_FILE

    if (root / MARKER_FILE).is_file():
        return
    for split in ("val", "test"):
        if (root / f"{split}.csv").is_file() and appropriateness_source(root, split) == "rule":
            print(f"warning: split {split} has no neighbour_emotion_{split}.npy and no data_indices.csv + "
                  f"Approprirate_facial_reaction.npy: its appropriateness matrix is built by react-bench's rule, "
                  f"and scores are not comparable with official numbers", file=sys.stderr)


def _disk_usage(path: Path) -> str:
    total = sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    return f"{total / 1e6:.0f} MB in files"
