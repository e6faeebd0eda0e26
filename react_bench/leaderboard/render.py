"""One call from a runs folder to a rendered leaderboard: what ``react-bench table`` and
``react-bench run`` (which refreshes its track's table after scoring) both use."""

from __future__ import annotations

from pathlib import Path

from react_bench.errors import MissingDataError
from react_bench.leaderboard.ablations import AblationTable, ablation_group, build_ablation_tables, render_ablations
from react_bench.leaderboard.collect import latest_runs, load_results
from react_bench.leaderboard.table import build_tables, render


def leaderboard_records(runs: str | Path, *, track: str, split: str = "test", protocol: str | None = None) -> list[dict]:
    """The latest results record per submission for ``track``/``split`` under ``runs``.

    MissingDataError (naming the command to run) when there is none.
    """
    return leaderboard_records_by_track(runs, tracks=(track,), split=split, protocol=protocol)[track]


def leaderboard_records_by_track(
    runs: str | Path, *, tracks: tuple[str, ...], split: str = "test", protocol: str | None = None
) -> dict[str, list[dict]]:
    """``{track: latest records}`` for each of ``tracks`` (the runs folder is read once); MissingDataError
    when no track has any record."""
    results = load_results(runs)
    records = {track: latest_runs(results, track=track, split=split, protocol=protocol) for track in tracks}
    if not any(records.values()):
        names = " or ".join(repr(track) for track in tracks)
        raise MissingDataError(
            f"no results for track {names}, split {split!r} under {str(runs)!r}; "
            f"run `react-bench run NAME --track {tracks[0]}` first"
        )
    return records


def leaderboard_page(records: dict[str, list[dict]], *, plots: dict[str, list] | None = None) -> str:
    """The self-contained HTML page of ``{track: records}`` (see :mod:`react_bench.leaderboard.page`)."""
    from react_bench.leaderboard.page import render_page

    sections = [(f"{track.capitalize()} track", build_tables(group, track=track), group)
                for track, group in records.items() if group]
    headings = {track: f"{track.capitalize()} track" for track in records}
    return render_page(sections, plots={headings[t]: paths for t, paths in (plots or {}).items()})


def leaderboard_text(records: list[dict], *, track: str, fmt: str = "md") -> str:
    """The leaderboard of ``records`` rendered as ``fmt`` (md, csv or html)."""
    return render(build_tables(records, track=track), fmt=fmt, title=f"Leaderboard: {track} track")


def ablation_tables(
    runs: str | Path, *, group: str, tracks: tuple[str, ...], split: str = "test", protocol: str | None = None
) -> list[AblationTable]:
    """The ablation tables of ``group`` (:mod:`react_bench.leaderboard.ablations`) for each of ``tracks``,
    from every seed's newest run under ``runs``; runs under an alias count as the registered name's.

    MissingDataError (naming the command to run) when no member of the group has a run on any track.
    """
    from react_bench.submissions.registry import submission_aliases

    spec = ablation_group(group)  # an unknown group fails before the runs folder is read
    results = load_results(runs)
    aliases = submission_aliases()
    tables = [table for track in tracks
              for table in build_ablation_tables(results, group=spec, track=track, split=split, protocol=protocol,
                                                 aliases=aliases)]
    if not tables:
        names = ", ".join(name for name, _ in spec.members)
        raise MissingDataError(
            f"no results of group {group!r} ({names}) on track {' or '.join(map(repr, tracks))}, split {split!r} "
            f"under {str(runs)!r}; run `react-bench run {spec.full} --track {tracks[0]} --seed 0` first "
            f"(leaderboards/regenerate_ablations.sh runs them all)"
        )
    return tables


def ablation_text(tables: list[AblationTable], *, group: str, fmt: str = "md") -> str:
    """``tables`` rendered as ``fmt`` (md or csv), titled after the group."""
    return render_ablations(tables, fmt=fmt, title=f"Ablations: {group}")
