"""``react-bench table``: leaderboard tables (and plots) from results files."""

from __future__ import annotations

import sys


def add_parser(subparsers) -> None:
    from react_bench.leaderboard import FORMATS
    from react_bench.runner import TRACKS

    parser = subparsers.add_parser(
        "table",
        help="render a leaderboard from results files (latest run per submission)",
        description="A row per submission, the seven metrics with their direction, mean with a 95%% bootstrap "
        "CI over speakers, the best per column marked. Reads results.json files only.",
    )
    parser.add_argument("--track", choices=TRACKS, default="offline", help="track (default: offline)")
    parser.add_argument("--format", choices=FORMATS, default="md", dest="fmt", help="output format (default: md)")
    parser.add_argument("--runs", default="runs", help="folder searched for results.json files (default: runs/)")
    parser.add_argument("--split", default="test", help="split (default: test)")
    parser.add_argument("--protocol", default=None, help="only runs scored with this protocol (default: all)")
    parser.add_argument("--out", default=None, help="write the table to FILE (atomically) instead of stdout")
    parser.add_argument("--plots", default=None, metavar="DIR",
                        help="also write PNG plots to DIR: reaction curves per submission, FRCorr vs FRDiv")
    parser.set_defaults(func=_table)


def _table(args) -> int:
    from react_bench.leaderboard import leaderboard_records, leaderboard_text, plot_leaderboard
    from react_bench.utils import atomic_write_text

    records = leaderboard_records(args.runs, track=args.track, split=args.split, protocol=args.protocol)
    text = leaderboard_text(records, track=args.track, fmt=args.fmt)
    if args.out:
        atomic_write_text(args.out, text)
        print(args.out, file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.plots:
        for path in plot_leaderboard(records, args.plots, track=args.track):
            print(path, file=sys.stderr)
    return 0
