"""On-disk cache of per-clip features.

Layout: ``<base>/<dataset fingerprint[:16]>/<name>@<version>-<dim>d/<site>/<session>/<person>/<clip>.npy``
holding a ``(T, dim)`` float32 array. ``<base>`` is, in order of precedence, the
``feature_cache=`` argument, ``$REACT_BENCH_CACHE``, ``$REACT_BENCH_HOME/features``, or
``~/.cache/react-bench/features``. Files are written atomically, so a killed run leaves
either no file or a complete one; a file of the wrong shape is recomputed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from react_bench.data.features.base import Clip, FeatureExtractor
from react_bench.errors import BadInputError
from react_bench.utils import atomic_save_npy


def react_bench_home() -> Path:
    """``$REACT_BENCH_HOME``, or ``~/.cache/react-bench``."""
    return Path(os.environ.get("REACT_BENCH_HOME") or Path.home() / ".cache" / "react-bench").expanduser()


def default_feature_cache_dir(base: str | os.PathLike | None = None) -> Path:
    """The base folder of feature caches (see the module docstring for the precedence)."""
    if base is not None:
        return Path(base).expanduser()
    if os.environ.get("REACT_BENCH_CACHE"):
        return Path(os.environ["REACT_BENCH_CACHE"]).expanduser()
    return react_bench_home() / "features"


class FeatureCache:
    """The cached features of one extractor for one dataset split."""

    def __init__(self, folder: Path, extractor: FeatureExtractor) -> None:
        self.extractor = extractor
        self.folder = Path(folder) / f"{extractor.name}@{extractor.version}-{extractor.dim}d"

    def get_or_compute(self, clip_path: str, make_clip: Callable[[], Clip], num_frames: int) -> np.ndarray:
        """``(num_frames, dim)`` float32 features of one clip, from the cache or computed and stored."""
        file = self.folder / (clip_path + ".npy")
        expected = (num_frames, self.extractor.dim)
        if file.is_file():
            try:
                cached = np.load(file, allow_pickle=False)
            except (ValueError, OSError, EOFError):
                cached = None
            if cached is not None and cached.shape == expected:
                return cached.astype(np.float32, copy=False)
        features = np.asarray(self.extractor(make_clip()), dtype=np.float32)
        if features.shape != expected:
            raise BadInputError(
                f"feature extractor {self.extractor.name!r} returned {features.shape} for clip {clip_path}; "
                f"expected (T, dim) = {expected}"
            )
        atomic_save_npy(file, features)
        return features
