"""The results contract: one schema, one writer, one reader for every results file.

``react-bench run`` (a submission generated and scored by the runner) and ``react-bench evaluate``
(predictions made elsewhere) write the same record through :func:`build_record` and
:func:`write_results`; ``react-bench table`` and the plots read it back through
:func:`read_results` / :func:`find_results`. A record::

    {"schema": "react-bench/results/2",
     "submission": {"name", "description", "config", ...},
     "track", "split", "protocol", "frrea_feature_space",
     "metrics": {name: {"value": float, "direction": "higher" | "lower"}},
     "per_speaker": {name: [N floats]},           # what the leaderboard's CIs are computed from
     "degenerate": {name: why},                   # values degenerate by construction (flagged, never best)
     "online": {...} | None, "config": {...}, "seeds": {...},
     "dataset": {"root", "split", "fingerprint", "appropriateness_sha256", "is_synthetic", ...},
     "predictions": {...}, "timings": {...}, "provenance": {version, git hash, date, ...}}

Directions come from the metric table (:data:`react_bench.metrics.spec.METRIC_SPECS`), never from the
caller. A results file is found by its name, ``results.json``, at any depth of a runs folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from react_bench.errors import BadInputError, MissingDataError
from react_bench.metrics.spec import METRIC_DIRECTIONS
from react_bench.utils import atomic_write_json, provenance

__all__ = [
    "RESULTS_FILE",
    "SCHEMA",
    "SCHEMAS_READ",
    "ResultsFileError",
    "build_record",
    "find_results",
    "metrics_block",
    "read_results",
    "write_results",
]

SCHEMA = "react-bench/results/2"
"""Written by this version. 2: ``react-bench evaluate`` writes run records too (1 had its own format)."""
SCHEMAS_READ = ("react-bench/results/1", SCHEMA)
"""Schemas the reader accepts (1 is a subset of 2: every field the table reads is there)."""
RESULTS_FILE = "results.json"
REQUIRED_FIELDS = ("submission", "track", "split", "protocol", "metrics", "dataset")
"""Fields a record must have for the leaderboard to place it."""


class ResultsFileError(BadInputError):
    """A results file that cannot be read or is not a react-bench record; the message names the file."""


def metrics_block(scores: dict) -> dict[str, dict[str, Any]]:
    """``{name: {"value", "direction"}}`` for every metric of the table present (not None) in ``scores``."""
    return {
        name: {"value": float(scores[name]), "direction": direction}
        for name, direction in METRIC_DIRECTIONS.items() if scores.get(name) is not None
    }


def build_record(
    *, submission: dict, track: str, split: str, scores: dict, dataset: dict, config: dict,
    seeds: dict | None = None, predictions: dict | None = None, timings: dict | None = None,
    online: dict | None = None, degenerate: dict[str, str] | None = None, **extra: Any,
) -> dict:
    """The results record of one scored set of predictions (see the module docstring for the fields).

    Args:
        submission: at least ``{"name": ...}``; the runner adds description, config and fit.
        scores: what ``evaluate`` returned (metrics, ``protocol``, ``frrea_feature_space``,
            ``seconds``, and ``per_speaker`` when asked for).
        dataset: at least ``fingerprint`` and ``appropriateness_sha256``.
        degenerate: ``{metric: why}`` for values degenerate by construction (e.g. FRRea of a copy of
            the targets); the leaderboard flags them and never marks them best.
        extra: further top-level fields (e.g. ``audit``), written as given.
    """
    if "name" not in submission:
        raise BadInputError("a results record needs submission['name']")
    return {
        "schema": SCHEMA,
        "submission": submission,
        "track": track,
        "split": split,
        "protocol": scores.get("protocol", config.get("protocol")),
        "frrea_feature_space": scores.get("frrea_feature_space"),
        "metrics": metrics_block(scores),
        "per_speaker": {k: [float(v) for v in vals] for k, vals in scores.get("per_speaker", {}).items()},
        "degenerate": dict(degenerate or {}),
        "online": online,
        "config": config,
        "seeds": seeds or {},
        "dataset": dataset,
        "predictions": predictions or {},
        "timings": {**(timings or {}), "metric_seconds": scores.get("seconds")},
        "provenance": provenance(),
        **extra,
    }


def write_results(path: str | os.PathLike, record: dict) -> Path:
    """Write ``record`` atomically to ``path`` (a file, or a folder that gets ``results.json``)."""
    path = Path(path)
    if path.is_dir() or path.suffix != ".json":
        path = path / RESULTS_FILE
    return atomic_write_json(path, record)


def read_results(path: str | os.PathLike) -> dict:
    """The record in ``path``, with its folder as ``"_path"``.

    Raises:
        MissingDataError: no such file.
        ResultsFileError: not JSON (a truncated copy, a hand edit) or not a react-bench record.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"no results file at {str(path)!r}")
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsFileError(
            f"results file {str(path)!r} is not valid JSON ({error}); re-run the command that made it, or delete it"
        ) from None
    if not isinstance(record, dict) or record.get("schema") not in SCHEMAS_READ:
        schema = record.get("schema") if isinstance(record, dict) else None
        raise ResultsFileError(
            f"results file {str(path)!r} is not a react-bench results record (schema {schema!r}; "
            f"expected one of {', '.join(SCHEMAS_READ)})"
        )
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise ResultsFileError(f"results file {str(path)!r} lacks the field(s) {', '.join(missing)}")
    record["_path"] = str(path.parent)
    return record


def find_results(runs: str | os.PathLike, *, warn=None) -> list[dict]:
    """Every readable results record under ``runs`` (any depth), in path order.

    An unreadable file is skipped with a warning that names it (``warn(message)``, default: a line
    on stderr), so one damaged run never hides the others.

    Raises:
        MissingDataError: ``runs`` is not a folder.
    """
    runs = Path(runs)
    if not runs.is_dir():
        raise MissingDataError(
            f"runs folder {str(runs)!r} does not exist; run a submission first (`react-bench run NAME`) "
            f"or pass --runs DIR"
        )
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    found = []
    for path in sorted(runs.rglob(RESULTS_FILE)):
        try:
            found.append(read_results(path))
        except ResultsFileError as error:
            warn(f"skipped: {error}")
    return found
