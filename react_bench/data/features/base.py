"""Per-frame feature extractors: the protocol and the registry by name.

A feature extractor turns one clip of one person into a ``(T, D)`` float32 array at
25 fps. The dataset caches its output on disk per clip (see ``ReactDataset.features``),
keyed by the extractor's ``name`` and ``version``, so a change of extractor never
reads a stale cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Union

import numpy as np

from react_bench.errors import BadInputError, UnknownNameError


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
    """Register a factory ``(**options) -> FeatureExtractor`` under ``name``; a name is registered once."""

    def decorator(factory: ExtractorFactory) -> ExtractorFactory:
        existing = _FACTORIES.get(name)
        same = existing is not None and (existing.__module__, existing.__qualname__) == (
            factory.__module__, factory.__qualname__)  # a module imported again registers the same factory
        if existing is not None and not same:
            raise BadInputError(
                f"feature extractor name {name!r} is already registered by {existing.__module__}.{existing.__qualname__}; "
                f"choose another name"
            )
        _FACTORIES[name] = factory
        return factory

    return decorator


@dataclass(frozen=True)
class FeatureSpec:
    """A feature a consumer needs: a registered extractor's name and the options to build it with.

    A submission lists its specs (:meth:`Submission.feature_specs`); the dataset builds the extractor
    from the spec (``ReactDataset.features(spec, role)``), so options such as a projection's ``dim``
    or a local ``path`` of pretrained weights travel from the model's config to the extractor.
    ``SpeakerBatch.features`` holds the feature under ``spec.name``.

    >>> FeatureSpec.of("face_au", dim=128)
    FeatureSpec(name='face_au', options=(('dim', 128),))
    >>> as_feature_spec("mfcc").build().dim
    26
    """

    name: str
    options: tuple[tuple[str, Any], ...] = ()  # sorted (key, value) pairs: hashable, order-free

    @classmethod
    def of(cls, name: str, **options: Any) -> "FeatureSpec":
        return cls(name, tuple(sorted(options.items())))

    def build(self) -> FeatureExtractor:
        return make_extractor(self.name, **dict(self.options))


FeatureRequest = Union[str, FeatureSpec]
"""What a consumer may name a feature by: a registered name (default options) or a spec."""


def as_feature_spec(feature: FeatureRequest) -> FeatureSpec:
    """A spec from a name (default options) or a spec."""
    if isinstance(feature, FeatureSpec):
        return feature
    if isinstance(feature, str):
        return FeatureSpec(feature)
    raise BadInputError(f"a feature is named by a string or a FeatureSpec; got {type(feature).__name__}")


def make_extractor(name: str, **options) -> FeatureExtractor:
    """Build the extractor registered as ``name``; KeyError listing the names otherwise."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownNameError(f"unknown feature extractor {name!r}; available: {', '.join(sorted(_FACTORIES))}") from None
    return factory(**options)


def available_extractors() -> list[str]:
    return sorted(_FACTORIES)
