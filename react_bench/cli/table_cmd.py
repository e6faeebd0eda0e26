"""``react-bench table``: leaderboard tables (and plots, and the HTML page) from results files; with
``--group``, a model family's ablation table over training seeds."""

from __future__ import annotations

import sys
import tempfile


def add_parser(subparsers) -> None:
    from react_bench.leaderboard import ABLATION_GROUPS, FORMATS
    from react_bench.runner import TRACKS

    parser = subparsers.add_parser(
        "table",
        help="render a leaderboard from results files (latest run per submission)",
        description="A row per submission, the metrics with their direction, mean with a 95%% bootstrap "
        "CI over speakers, the best per column marked (never a reference row or a degenerate value). Reads "
        "results.json files only. --format html writes one self-contained page (sortable, CI bars, plots). "
        "--group NAME renders NAME's ablation table instead: a row per variant with results, mean ± sd over "
        "training seeds, and each variant's paired difference to the full model with a 95%% bootstrap CI.",
    )
    parser.add_argument("--track", choices=(*TRACKS, "all"), default="offline",
                        help="track, or all (both, one after the other; the html page holds both) (default: offline)")
    parser.add_argument("--format", choices=FORMATS, default="md", dest="fmt", help="output format (default: md)")
    parser.add_argument("--runs", default="runs", help="folder searched for results.json files (default: runs/)")
    parser.add_argument("--split", default="test", help="split (default: test)")
    parser.add_argument("--protocol", default=None, help="only runs scored with this protocol (default: all)")
    parser.add_argument("--out", default=None, help="write the table to FILE (atomically) instead of stdout")
    parser.add_argument("--plots", default=None, metavar="DIR",
                        help="also write PNG plots to DIR: reaction curves per submission, FRCorr vs FRDiv "
                        "(the html page embeds them; without --plots it draws them in a temporary folder)")
    parser.add_argument("--group", choices=tuple(ABLATION_GROUPS), default=None,
                        help="render the ablation table of this model family (Table 4 style; md or csv) instead "
                        "of the leaderboard: every seed's newest run of each variant")
    parser.set_defaults(func=_table)


def _table(args) -> int:
    from react_bench.leaderboard import leaderboard_page, leaderboard_records_by_track, leaderboard_text, plot_leaderboard
    from react_bench.runner import TRACKS

    tracks = TRACKS if args.track == "all" else (args.track,)
    if args.group is not None:
        return _group_table(args, tracks)
    records = leaderboard_records_by_track(args.runs, tracks=tracks, split=args.split, protocol=args.protocol)
    with tempfile.TemporaryDirectory() as scratch:
        plots_dir = args.plots or (scratch if args.fmt == "html" else None)
        plots = {}
        if plots_dir:
            for track in tracks:
                if records[track]:
                    plots[track] = plot_leaderboard(records[track], plots_dir, track=track)
                    if args.plots:
                        for path in plots[track]:
                            print(path, file=sys.stderr)
        if args.fmt == "html":
            text = leaderboard_page(records, plots=plots)
        else:
            text = "\n".join(leaderboard_text(records[track], track=track, fmt=args.fmt)
                             for track in tracks if records[track])
    return _emit(text, args.out)


def _group_table(args, tracks: tuple[str, ...]) -> int:
    from react_bench.errors import BadInputError
    from react_bench.leaderboard import ABLATION_FORMATS, ablation_tables, ablation_text

    if args.fmt not in ABLATION_FORMATS:
        raise BadInputError(f"--group renders as {' or '.join(ABLATION_FORMATS)}; got --format {args.fmt}")
    if args.plots:
        raise BadInputError("--plots draws the leaderboard's plots; leave it out with --group")
    tables = ablation_tables(args.runs, group=args.group, tracks=tracks, split=args.split, protocol=args.protocol)
    return _emit(ablation_text(tables, group=args.group, fmt=args.fmt), args.out)


def _emit(text: str, out: str | None) -> int:
    from react_bench.utils import atomic_write_text

    if out:
        atomic_write_text(out, text)
        print(out, file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
