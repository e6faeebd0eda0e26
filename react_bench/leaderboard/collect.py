"""Find results files under a runs folder and keep the latest run per submission (or per seed)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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


def _selected(results: list[dict], *, track: str, split: str | None, protocol: str | None) -> Iterable[dict]:
    for record in results:
        if record.get("track") != track:
            continue
        if split is not None and record.get("split") != split:
            continue
        if protocol is not None and record.get("protocol") != protocol:
            continue
        yield record


def _age(record: dict) -> tuple[str, str]:
    """Sort key of "newest": the latest provenance.date, then the folder name (a timestamp)."""
    return record.get("provenance", {}).get("date") or "", Path(record.get("_path", "")).name


def _newest(records: Iterable[dict], key: Callable[[dict], tuple]) -> list[dict]:
    latest: dict[tuple, tuple] = {}
    for record in records:
        k = key(record)
        order = _age(record)
        if k not in latest or order >= latest[k][0]:
            latest[k] = (order, record)
    return [record for _, record in latest.values()]


def effective_config(record: dict) -> dict:
    """The submission's full configuration as the run recorded it (``{}`` for records without one)."""
    return record["submission"].get("effective_config") or {}


def current_model_runs(runs: list[dict]) -> tuple[list[dict], int]:
    """Of one submission's runs under one set of options (e.g. the newest run per seed), those made with
    the newest run's effective config, and how many others were left out: a default changed between
    seeds makes two models, which must not be averaged as one."""
    newest = max(runs, key=_age)
    config = effective_config(newest)
    kept = [r for r in runs if effective_config(r) == config]
    return kept, len(runs) - len(kept)


def _table_key(record: dict) -> tuple:
    return (record["submission"]["name"], record.get("split"), record.get("protocol"),
            record.get("dataset", {}).get("fingerprint"))


def latest_runs(
    results: list[dict], *, track: str, split: str | None = None, protocol: str | None = None
) -> list[dict]:
    """The latest run of each (submission, split, protocol, dataset) on ``track``, sorted by name.

    "Latest" is the newest ``provenance.date``, then the folder name (a timestamp).
    """
    newest = _newest(_selected(results, track=track, split=split, protocol=protocol), _table_key)
    return sorted(newest, key=lambda record: record["submission"]["name"])


def run_seed(record: dict) -> int | None:
    """The seed a run was made with (``react-bench run --seed``: the fit's and the generation's), or None
    when the record does not say (``react-bench evaluate``, a handmade file).

    >>> run_seed({"seeds": {"run_seed": 2, "batch_seeds": [7]}}), run_seed({"seeds": {}})
    (2, None)
    """
    seed = (record.get("seeds") or {}).get("run_seed")
    if seed is None:
        seed = (record.get("config") or {}).get("seed")
    return None if seed is None else int(seed)


def submission_options(record: dict) -> str:
    """The run's submission options (``--set``/``--config``) as canonical JSON; ``"{}"`` for the defaults."""
    return json.dumps(record["submission"].get("config") or {}, sort_keys=True, default=str)


def generations(record: dict) -> int | None:
    """Reactions per speaker G of the run (``--num-samples``), or None when the record does not say.

    FRCorr is a sum over generations and the diversity metrics depend on G, so runs with different G
    are not averaged together."""
    count = (record.get("config") or {}).get("num_samples")
    if count is None:
        shape = (record.get("predictions") or {}).get("shape")
        count = shape[1] if shape and len(shape) == 4 else None
    return None if count is None else int(count)


def latest_seed_runs(
    results: list[dict], *, track: str, names: dict[str, str], split: str | None = None, protocol: str | None = None
) -> list[dict]:
    """The latest run of each (submission, options, seed, split, protocol, dataset, generations) on ``track``.

    Only submissions named in ``names`` (a run's recorded name -> the name it is counted under, e.g.
    an alias -> its registered name) are kept, so several seeds of one submission all stay, and a run
    under an old name joins the runs under the new one.
    """
    def key(record: dict) -> tuple:
        return (names[record["submission"]["name"]], submission_options(record), run_seed(record),
                *_table_key(record)[1:], generations(record))

    selected = (r for r in _selected(results, track=track, split=split, protocol=protocol)
                if r["submission"]["name"] in names)
    def order(record: dict) -> tuple:
        name, options, seed = key(record)[:3]
        return name, options, seed is None, seed or 0

    return sorted(_newest(selected, key), key=order)
