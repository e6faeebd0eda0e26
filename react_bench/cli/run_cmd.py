"""``react-bench run NAME --track offline|online``: generate, score and record one submission."""

from __future__ import annotations

import json
from pathlib import Path

from react_bench.constants import NUM_GENERATIONS
from react_bench.errors import BadInputError
from react_bench.metrics.protocols import PROTOCOLS, REACT2024


def add_parser(subparsers) -> None:
    from react_bench.runner import DEFAULT_BATCH_SIZE, TRACKS
    from react_bench.submissions import ONLINE_CHUNK_FRAMES

    parser = subparsers.add_parser(
        "run",
        help="run a registered submission on a track and write runs/<name>/<track>/<split>/<time>/",
        description="Fit (if needed, cached), generate 10 reactions per speaker sample, score them, and "
        "write predictions.npy and results.json. Re-running the same command after a crash resumes it.",
    )
    parser.add_argument("name", help="registered submission name (see `react-bench list`)")
    parser.add_argument("--track", choices=TRACKS, default="offline",
                        help="offline: whole clips; online: causal chunks (--chunk-frames), with a causality audit")
    parser.add_argument("--data", default=None, help="dataset root (default: the synthetic dataset, created on first use)")
    parser.add_argument("--split", default="test", help="split to generate and score (default: test)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default: 0)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    parser.add_argument("--out", default="runs", help="root folder of runs and checkpoints (default: runs/)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default=REACT2024, help="metric protocol (default: react2024)")
    parser.add_argument("--num-samples", type=int, default=NUM_GENERATIONS, help="reactions per speaker (default: 10)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"speaker samples per batch and shard (default: {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--chunk-frames", type=int, default=ONLINE_CHUNK_FRAMES,
                        help=f"online: speaker frames handed over per step (default: {ONLINE_CHUNK_FRAMES} = 2 s; "
                        f"1 = frame by frame)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="submission option (VALUE parsed as JSON when it can be); repeatable")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=_run)


def parse_options(pairs: list[str]) -> dict:
    """``["steps=50", "name=x"]`` -> ``{"steps": 50, "name": "x"}``."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInputError(f"--set expects KEY=VALUE; got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def _run(args) -> int:
    from react_bench import distributed as pg
    from react_bench.metrics.spec import ARROWS
    from react_bench.results import RESULTS_FILE, read_results
    from react_bench.runner import run_submission

    # Under torchrun: one process per rank shares the batches and the scoring (see run_submission).
    started = pg.init_from_env(args.device)
    me = pg.rank()
    try:
        path = run_submission(
            args.name, track=args.track, data=args.data, split=args.split, seed=args.seed, device=args.device,
            out=args.out, protocol=args.protocol, num_samples=args.num_samples, batch_size=args.batch_size,
            chunk_frames=args.chunk_frames, submission_config=parse_options(args.set), progress=not args.quiet,
        )
    finally:
        if started:
            torch_distributed_shutdown()
    if me != 0:
        return 0  # rank 0 prints and refreshes the leaderboard
    results = read_results(path / RESULTS_FILE)
    for metric, entry in results["metrics"].items():
        print(f"{metric:8s} {ARROWS[entry['direction']]} {entry['value']:.4f}")
    if results.get("online"):
        online = results["online"]
        latency = online["latency_ms"]
        print(f"latency per window: mean {latency['mean']:.2f} ms, p95 {latency['p95']:.2f} ms, "
              f"max {latency['max']:.2f} ms; real-time factor {online['real_time_factor']:.4f}")
    if results.get("audit"):
        audit = results["audit"]
        print(f"causality audit: {'passed' if audit['passed'] else 'FAILED'} (largest change before a cut "
              f"{audit['max_abs_diff_before_cut']:.3g}, tolerance {audit['tolerance']:g})")
    print(path / RESULTS_FILE)
    _refresh_leaderboard(args)
    return 0


def torch_distributed_shutdown() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _refresh_leaderboard(args) -> None:
    """Re-render ``<out>/leaderboard-<track>-<split>.md`` from every results file under ``--out``."""
    from react_bench.leaderboard import leaderboard_records, leaderboard_text
    from react_bench.utils import atomic_write_text

    records = leaderboard_records(args.out, track=args.track, split=args.split, protocol=args.protocol)
    table = Path(args.out) / f"leaderboard-{args.track}-{args.split}.md"
    atomic_write_text(table, leaderboard_text(records, track=args.track))
    print(f"leaderboard updated: {table}")
