"""The default dataset: the medium synthetic set, generated on first use in a cache folder."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from react_bench.data.feature_cache import react_bench_home
from react_bench.data.synth.config import GENERATOR_VERSION
from react_bench.data.synth.generate import MARKER_FILE, generate_dataset

DEFAULT_SIZE = "medium"
DEFAULT_SEED = 0


def synthetic_dataset_path(size: str = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> Path:
    """Where the synthetic dataset of ``size`` and ``seed`` lives: ``<home>/synthetic-<size>-seed<seed>-v<version>``
    (the generator version is part of the name, so a new version never reads an older dataset)."""
    return react_bench_home() / f"synthetic-{size}-seed{seed}-v{GENERATOR_VERSION}"


def default_data_root() -> Path:
    """Path of the default dataset (``$REACT_BENCH_HOME`` or ``~/.cache/react-bench``, then
    ``synthetic-medium-seed0-v<generator version>/``), generating it on first use (about a minute) and saying so on
    stderr. Generation writes into a temporary folder renamed at the end, so an interrupted
    run leaves nothing half-written behind.
    """
    root = synthetic_dataset_path()
    if (root / MARKER_FILE).is_file():
        return root
    print(
        f"react-bench: generating the default synthetic dataset in {root} (first use; about a minute)...",
        file=sys.stderr,
    )
    start = time.perf_counter()
    try:
        generate_dataset(root, seed=DEFAULT_SEED, size=DEFAULT_SIZE)
    except FileExistsError:
        # Another process finished it first; use theirs if it is complete.
        if not (root / MARKER_FILE).is_file():
            raise
    print(f"react-bench: default dataset ready in {root} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return root
