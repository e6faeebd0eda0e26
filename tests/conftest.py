"""Shared fixtures: a small synthetic dataset generated once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from react_bench.data import generate_dataset

SYNTHETIC_SEED = 0


@pytest.fixture(scope="session", autouse=True)
def _isolated_feature_cache(tmp_path_factory):
    """Cached features go to a per-session folder, never to the user's ~/.cache."""
    previous = os.environ.get("REACT_BENCH_CACHE")
    os.environ["REACT_BENCH_CACHE"] = str(tmp_path_factory.mktemp("feature-cache"))
    yield
    if previous is None:
        os.environ.pop("REACT_BENCH_CACHE", None)
    else:
        os.environ["REACT_BENCH_CACHE"] = previous


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """Root of the ``small`` synthetic dataset (6/3/3 train/val/test dyads, seed 0). Read-only: copy it
    (see ``corruptible_root``) before changing anything."""
    return generate_dataset(tmp_path_factory.mktemp("synthetic") / "small-seed0", seed=SYNTHETIC_SEED, size="small")


@pytest.fixture
def corruptible_root(synthetic_root, tmp_path) -> Path:
    """A private copy of ``synthetic_root`` that a test may damage."""
    return Path(shutil.copytree(synthetic_root, tmp_path / "dataset"))
