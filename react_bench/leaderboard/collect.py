"""Find results files under a runs folder and keep the latest run per submission."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = "results.json"


def load_results(runs: str | Path) -> list[dict]:
    """Every ``results.json`` under ``runs`` (any depth), each with its folder as ``"_path"``.

    Raises:
        FileNotFoundError: ``runs`` is not a folder.
    """
    runs = Path(runs)
    if not runs.is_dir():
        raise FileNotFoundError(
            f"runs folder {str(runs)!r} does not exist; run a submission first (`react-bench run NAME`) "
            f"or pass --runs DIR"
        )
    found = []
    for path in sorted(runs.rglob(RESULTS)):
        record = json.loads(path.read_text())
        if "metrics" not in record or "submission" not in record:
            continue  # not a run record (e.g. an `evaluate` output without a submission)
        record["_path"] = str(path.parent)
        found.append(record)
    return found


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
