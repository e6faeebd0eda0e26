"""One call from a runs folder to a rendered leaderboard: what ``react-bench table`` and
``react-bench run`` (which refreshes its track's table after scoring) both use."""

from __future__ import annotations

from pathlib import Path

from react_bench.errors import MissingDataError
from react_bench.leaderboard.collect import latest_runs, load_results
from react_bench.leaderboard.table import build_tables, render


def leaderboard_records(runs: str | Path, *, track: str, split: str = "test", protocol: str | None = None) -> list[dict]:
    """The latest results record per submission for ``track``/``split`` under ``runs``.

    FileNotFoundError (naming the command to run) when there is none.
    """
    records = latest_runs(load_results(runs), track=track, split=split, protocol=protocol)
    if not records:
        raise MissingDataError(
            f"no results for track {track!r}, split {split!r} under {str(runs)!r}; "
            f"run `react-bench run NAME --track {track}` first"
        )
    return records


def leaderboard_text(records: list[dict], *, track: str, fmt: str = "md") -> str:
    """The leaderboard of ``records`` rendered as ``fmt`` (md, csv or html)."""
    return render(build_tables(records, track=track), fmt=fmt, title=f"Leaderboard: {track} track")
