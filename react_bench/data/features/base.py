"""Per-frame feature extractors: the protocol and the registry by name.

A feature extractor turns one clip of one person into a ``(T, D)`` float32 array at
25 fps. The dataset caches its output on disk per clip (see ``ReactDataset.features``),
keyed by the extractor's ``name`` and ``version``, so a change of extractor never
reads a stale cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np


@dataclass
class Clip:
    """One person's clip, as the extractors see it.

    Attributes:
        emotion: ``(T, 25)`` float32 emotion channels.
        threedmm: ``(T, 58)`` float32 3DMM coefficients.
        audio: ``(L,)`` float32 mono audio at 16 kHz.
        video_dir: folder of the clip's video frames, or None (the synthetic set has none).
        path: the clip's relative path ``<site>/<session>/<person>/<clip>``.
    """

    emotion: np.ndarray
    threedmm: np.ndarray
    audio: np.ndarray
    video_dir: Path | None
    path: str


class FeatureExtractor(Protocol):
    """Anything with these attributes and a ``__call__(clip) -> (T, dim)`` is an extractor."""

    name: str
    """Registry and cache name, e.g. ``"mfcc"``."""
    version: str
    """Bump when the output changes: it is part of the cache key."""
    dim: int
    """Feature size D."""

    def __call__(self, clip: Clip) -> np.ndarray:  # (T, dim) float32
        ...


ExtractorFactory = Callable[..., FeatureExtractor]
_FACTORIES: dict[str, ExtractorFactory] = {}


def register_extractor(name: str) -> Callable[[ExtractorFactory], ExtractorFactory]:
    """Register a factory ``(**options) -> FeatureExtractor`` under ``name``."""

    def decorator(factory: ExtractorFactory) -> ExtractorFactory:
        _FACTORIES[name] = factory
        return factory

    return decorator


def make_extractor(name: str, **options) -> FeatureExtractor:
    """Build the extractor registered as ``name``; KeyError listing the names otherwise."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise KeyError(f"unknown feature extractor {name!r}; available: {', '.join(sorted(_FACTORIES))}") from None
    return factory(**options)


def available_extractors() -> list[str]:
    return sorted(_FACTORIES)
