"""``react-bench evaluate``: score predictions made by any code base (the REACT submission format).

    react-bench evaluate --preds PRED.npy [--data DIR] [--split test] [--protocol react2024|corrected]
                         [--name NAME] [--track offline|online] [--runs runs] [--out FILE]
                         [--device cpu|cuda] [--no-rea]

``PRED.npy`` is an ``(N, 10, T, 25)`` array in the split's sample order (see
``react_bench.data.ReactDataset``), or a folder of per-clip files as the official baselines write them
(``react_bench.data.predictions``). Scoring reads only the split list, the emotion files and the
appropriateness matrix, so a tree holding just those is enough. Prints a table and writes a results record (atomically, the same
schema as ``react-bench run``: ``react_bench.results``) with the metrics and their per-speaker values,
the protocol, the provenance, the dataset fingerprint, the SHA-256 of the appropriateness matrix and of
the predictions file. By default it goes to ``<runs>/<name>/<track>/<split>/<time>-evaluated/results.json``,
so ``react-bench table`` lists it beside the runs. Without ``--data`` the default (synthetic) dataset is used.

Under ``torchrun --nproc-per-node K -m react_bench.cli.main evaluate ...`` the K processes share the
scoring (``evaluate(..., distributed=True)``: a block of speakers each, NCCL with ``--device cuda``,
gloo on the CPU) and only rank 0 hashes the predictions, prints and writes the results file.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path

import torch

from react_bench import distributed as pg
from react_bench.constants import SPLITS
from react_bench.metrics import evaluate
from react_bench.metrics.protocols import PROTOCOLS, REACT2024, scoring_block
from react_bench.metrics.spec import METRIC_DIRECTIONS
from react_bench.results import RESULTS_FILE, build_record, write_results
from react_bench.utils import sha256_array, sha256_file


def add_parser(subparsers) -> None:
    from react_bench.runner import TRACKS

    parser = subparsers.add_parser("evaluate", help="score an (N, 10, T, 25) prediction array on a split")
    parser.add_argument("--preds", type=Path, required=True,
                        help="predictions: a .npy (N, G, T, 25) in the split's sample order, or an official per-clip "
                        "folder (<split>/<speaker clip>/result-{0..9}.pth)")
    parser.add_argument("--data", type=Path, default=None, help="dataset root (default: the synthetic dataset)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="split the predictions are for (default test)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default=REACT2024,
                        help="react2024: official numbers, quirks included (default); corrected: quirks fixed")
    parser.add_argument("--name", default=None, help="submission name in the leaderboard (default: the file's stem)")
    parser.add_argument("--track", choices=TRACKS, default="offline", help="track the predictions were made on")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="runs folder the record goes to (default runs/)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1... (default: cpu)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results JSON to write instead (default: under --runs, where `react-bench table` finds it)")
    parser.add_argument("--no-rea", action="store_true", help="skip FRRea")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = pg.init_from_env(args.device)  # under torchrun: one process group for the scoring
    try:
        return _score(args)
    finally:
        if started:
            pg.barrier()  # rank 0 has written before anyone leaves
            torch.distributed.destroy_process_group()


def _score(args: argparse.Namespace) -> int:
    from react_bench.data import default_data_root
    from react_bench.data.layout import open_dataset
    from react_bench.data.predictions import load_predictions
    from react_bench.runner.record import dataset_block, diagnostics_block
    from react_bench.runner.run import dataset_scoring_options

    if args.data is not None:
        root = args.data
    else:
        # The default dataset is generated on first use: by rank 0 alone, the others wait and read it.
        root = default_data_root() if pg.rank() == 0 else None
        pg.barrier()
        root = root if root is not None else default_data_root()
    ds = open_dataset(root, args.split)
    targets = ds.targets()
    speaker = ds.emotion("speaker")
    preds = load_predictions(args.preds, ds.clip_paths("speaker"), speaker.shape[1], split=args.split)
    # Every rank validates the whole input (the same error everywhere, no rank left waiting), then
    # scores its block of speakers.
    scores = evaluate(preds, targets, speaker, ds.appropriateness(), protocol=args.protocol,
                      device=args.device, rea=not args.no_rea, per_speaker=True, distributed=True,
                      **dataset_scoring_options(ds))
    if pg.rank() != 0:
        return 0
    name = args.name or args.preds.stem
    record = build_record(
        submission={"name": name, "description": f"predictions {args.preds.name} scored by react-bench evaluate"},
        track=args.track,
        split=args.split,
        scores=scores,
        dataset=dataset_block(ds, Path(root).resolve(), scoring_only=True, num_samples=int(preds.shape[0]),
                              num_frames=int(preds.shape[2])),
        config={"protocol": args.protocol, "device": args.device, "rea": not args.no_rea, "track": args.track,
                "split": args.split},
        predictions={"path": str(args.preds.resolve()), "shape": list(preds.shape),
                     "sha256": sha256_file(args.preds) if args.preds.is_file() else sha256_array(preds)},
        sizes={key: scores[key] for key in ("num_speakers", "num_generations", "num_frames", "num_targets")},
        scoring=scoring_block(ds, scores),
        diagnostics=diagnostics_block(preds, targets),  # as `react-bench run` records it
    )
    out = args.out if args.out is not None else _default_out(args.runs, name, args.track, args.split)
    path = write_results(out, record)
    print(format_table(record))
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _default_out(runs: Path, name: str, track: str, split: str) -> Path:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = runs / name / track / split / f"{stamp}-evaluated"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = runs / name / track / split / f"{stamp}-evaluated-{suffix}"
    return folder / RESULTS_FILE


def format_table(record: dict) -> str:
    """The metrics of a results record as a fixed-width text table."""
    seconds = record["timings"].get("metric_seconds") or {}
    lines = [f"protocol {record['protocol']}, split {record['split']}, N = {record['sizes']['num_speakers']}",
             f"{'metric':<16}{'value':>12}  {'better':<8}{'seconds':>9}"]
    for name, entry in record["metrics"].items():
        sec = seconds.get(name)
        shown = "" if sec is None else f"{sec:.2f}"
        lines.append(f"{name:<16}{entry['value']:>12.4f}  {METRIC_DIRECTIONS[name]:<8}{shown:>9}")
    if record.get("frrea_feature_space"):
        lines.append(f"FRRea feature space: {record['frrea_feature_space']}")
    scoring = record.get("scoring") or {}
    if scoring.get("tlcc_lags"):
        lines.append(f"FRSyn lags: {scoring['tlcc_lags']}; padding: {scoring.get('padding')}")
    if scoring.get("caption"):
        lines.append(scoring["caption"])
    return "\n".join(lines)
