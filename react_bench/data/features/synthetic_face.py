"""The synthetic face encoder: visual features for the synthetic dataset, which has no frames.

On real data, visual features (valence/arousal, AU and expression embeddings) come from
face-analysis networks run on the video frames. The synthetic set stands in for them with a
fixed random network on what such networks see: per frame, the clip's emotion channels of
one kind concatenated with its 52 3DMM expression coefficients,

    features(t) = tanh(x(t) @ W + b),  x(t) = [emotion[t, channels], threedmm[t, :52]],

with ``W ~ N(0, 1 / dim(x))`` and ``b ~ N(0, 0.1)`` drawn from ``default_rng([seed, kind])``.
Three extractors are registered:

==========  ======================  ============
name        emotion channels        default dim
==========  ======================  ============
face_va     valence, arousal (2)    16
face_au     15 AU occurrences       64
face_fe     8 expression probs      32
==========  ======================  ============
"""

from __future__ import annotations

import numpy as np

from react_bench.constants import AU_SLICE, EXPRESSION_SLICE, FE_SLICE, VA_SLICE
from react_bench.data.features.base import Clip, register_extractor
from react_bench.errors import BadInputError, UnknownNameError

_KINDS = {"face_va": (VA_SLICE, 16, 1), "face_au": (AU_SLICE, 64, 2), "face_fe": (FE_SLICE, 32, 3)}
"""name -> (emotion channels, default dim, stream id of the weights)."""


class SyntheticFaceEncoder:
    """A fixed random projection ``(T, 25) emotion + (T, 58) 3DMM -> (T, dim)``; see the module docstring."""

    def __init__(self, name: str, *, dim: int | None = None, seed: int = 0) -> None:
        if name not in _KINDS:
            raise UnknownNameError(f"unknown synthetic face encoder {name!r}; available: {', '.join(_KINDS)}")
        channels, default_dim, stream = _KINDS[name]
        self.name = name
        self.dim = int(dim if dim is not None else default_dim)
        if self.dim < 1:
            raise BadInputError(f"dim must be >= 1; got {dim}")
        self.version = "1" if seed == 0 else f"1-seed{seed}"
        self._channels = channels
        inputs = (channels.stop - channels.start) + (EXPRESSION_SLICE.stop - EXPRESSION_SLICE.start)
        rng = np.random.default_rng([seed, stream])
        self._weight = rng.normal(0.0, 1.0 / np.sqrt(inputs), size=(inputs, self.dim))
        self._bias = rng.normal(0.0, 0.1, size=self.dim)

    def __call__(self, clip: Clip) -> np.ndarray:
        """``(T, dim)`` float32 features of ``clip``."""
        x = np.concatenate([clip.emotion[:, self._channels], clip.threedmm[:, EXPRESSION_SLICE]], axis=1)
        return np.tanh(x.astype(np.float64) @ self._weight + self._bias).astype(np.float32)


@register_extractor("face_va")
def face_va(*, dim: int | None = None, seed: int = 0) -> SyntheticFaceEncoder:
    return SyntheticFaceEncoder("face_va", dim=dim, seed=seed)


@register_extractor("face_au")
def face_au(*, dim: int | None = None, seed: int = 0) -> SyntheticFaceEncoder:
    return SyntheticFaceEncoder("face_au", dim=dim, seed=seed)


@register_extractor("face_fe")
def face_fe(*, dim: int | None = None, seed: int = 0) -> SyntheticFaceEncoder:
    return SyntheticFaceEncoder("face_fe", dim=dim, seed=seed)
