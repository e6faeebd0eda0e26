"""Find results files under a runs folder and keep the latest run per submission."""

from __future__ import annotations

from pathlib import Path

from react_bench.results import find_results


def load_results(runs: str | Path, *, warn=None) -> list[dict]:
    """Every readable ``results.json`` under ``runs`` (any depth), each with its folder as ``"_path"``.

    An unreadable or foreign file is skipped with a warning naming it (see
    :func:`react_bench.results.find_results`).

    Raises:
        MissingDataError: ``runs`` is not a folder.
    """
    return find_results(runs, warn=warn)


def latest_runs(
    results: list[dict], *, track: str, split: str | None = None, protocol: str | None = None
) -> list[dict]:
    """The latest run of each (submission, split, protocol, dataset) on ``track``, sorted by name.

    "Latest" is the newest ``provenance.date``, then the folder name (a timestamp).
    """
    latest: dict[tuple, dict] = {}
    for record in results:
        if record.get("track") != track:
            continue
        if split is not None and record.get("split") != split:
            continue
        if protocol is not None and record.get("protocol") != protocol:
            continue
        key = (record["submission"]["name"], record.get("split"), record.get("protocol"),
               record.get("dataset", {}).get("fingerprint"))
        order = (record.get("provenance", {}).get("date") or "", Path(record["_path"]).name)
        if key not in latest or order >= latest[key][0]:
            latest[key] = (order, record)
    return [record for _, record in sorted(latest.values(), key=lambda item: item[1]["submission"]["name"])]
