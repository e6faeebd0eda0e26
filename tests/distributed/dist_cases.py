"""Inputs shared by the distributed tests and their torchrun worker (built the same in every process)."""

from __future__ import annotations

import numpy as np

N, G, T, M = 9, 3, 250, 9
"""9 speakers (odd: ranks of 2 get blocks of 5 and 4), 250 frames = 10 FRRea windows per sequence, so
each side has 90 > 75 feature windows and the Frechet distance's covariances are well conditioned
(with fewer windows than features FRRea is itself only stable to ~1e-8, see docs/metrics.md)."""

RANK_INDICES = {0: [[6, 0, 3], [8]], 1: [[1, 2], [7, 5, 4]]}
"""ReactMetrics batches per rank: a disjoint, interleaved, out-of-order cover of range(N)."""


def sequences(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Emotion-like ``(..., T, 25)`` float32: binary AU runs, smooth VA, softmax expressions."""
    walk = np.cumsum(rng.normal(0, 0.15, size=(*shape, 25)), axis=-2)
    out = np.empty((*shape, 25))
    out[..., :15] = (walk[..., :15] + rng.normal(0, 0.5, size=(*shape[:-1], 1, 15)) > 0.5).astype(float)
    out[..., 15:17] = np.tanh(walk[..., 15:17])
    e = np.exp(walk[..., 17:] - walk[..., 17:].max(axis=-1, keepdims=True))
    out[..., 17:] = e / e.sum(axis=-1, keepdims=True)
    return out.astype(np.float32)


def case(seed: int = 130) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """preds ``(N, G, T, 25)``, targets ``(M, T, 25)``, speaker ``(N, T, 25)``, appropriate ``(N, M)``."""
    rng = np.random.default_rng(seed)
    preds = sequences(rng, (N, G, T))
    preds[2, 1, :, 3] = 1.0  # a constant AU channel: the react2024 CCC and TLCC quirks
    targets = sequences(rng, (M, T))
    speaker = np.roll(targets, 1, axis=0)
    appropriate = np.zeros((N, M), dtype=np.int64)
    for k in range(N):
        appropriate[k, [k % M, *rng.choice(M, size=2, replace=False)]] = 1
    return preds, targets, speaker, appropriate


def full_rank_case(seed: int = 131) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``case``'s shapes with uniform noise in every channel: FRRea's covariances have full rank.

    (``case``'s softmax expressions sum to 1, so their 8 window means are collinear and both
    covariances are singular; FRRea's ``sqrt`` of a rounding-level eigenvalue then moves the value by
    ~1e-11 relative under a mere reordering of the speakers, in one process as in several.)
    """
    preds, targets, speaker, appropriate = case(seed)
    rng = np.random.default_rng(seed)
    return (rng.random(preds.shape, dtype=np.float32), rng.random(targets.shape, dtype=np.float32),
            speaker, appropriate)
