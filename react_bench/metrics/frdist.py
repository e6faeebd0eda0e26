"""FRDist: ``mean_k sum_i min_{j: appropriate[k, j]} D(preds[k, i], targets[j])`` (SPEC-metrics.md).

``D`` is the group-weighted REACT DTW distance of ``pairwise_dtw``. FRDist has no quirk: both
protocols give the same number.

On the CPU the minimum over appropriate targets uses exact early abandoning: each generation's
candidates are ordered by their distance along the diagonal warping path (an upper bound on DTW,
cheap to compute), and a DTW dynamic program stops once the smallest accumulated cost of a row
(a lower bound on its final cost) shows that it cannot beat the best candidate so far. Abandoned
problems could never be the minimum, so the result is the full computation's, bit for bit.
Measured at N=50, G=10, T=750 (tests/benchmarks/test_bench_dtw.py): 2.1-2.7x faster when each
generation is close to one of its appropriate targets (86% of the DTW problems abandoned), within
noise (~3% slower) when generations are independent of the targets (then almost nothing can be
abandoned: all candidates are about equally far).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from react_bench.metrics import _dtw_numba
from react_bench.metrics.checks import (
    check_appropriate,
    check_preds,
    check_reduction,
    check_same_frames,
    check_sequences,
)
from react_bench.metrics.dtw import REACT_DIVISORS, REACT_GROUPS, _pairwise_dtw
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["fr_dist"]

_UPPER_MARGIN = 1e-9
"""Relative slack on the diagonal-path upper bound: it and the DTW value are rounded differently."""


def _fr_dist_numba(p: torch.Tensor, t: torch.Tensor, a: torch.Tensor, *, abandon: bool = True):
    """Per-speaker FRDist ``(N,)`` float64 on the CPU, and the number of DTW problems abandoned.

    p ``(N, G, T, 25)``, t ``(M, T, 25)``, a ``(N, M)`` bool, all validated.
    """
    N, G, T, C = p.shape
    x = np.ascontiguousarray(p.detach().cpu().numpy().reshape(N * G, T, C), dtype=np.float64)
    y = np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float64)
    mask = a.cpu().numpy()
    n_cand = np.repeat(mask.sum(axis=1), G).astype(np.int64)  # (Q,) with query q = k * G + i
    cand = np.zeros((N * G, int(n_cand.max())), dtype=np.int64)
    for k in range(N):
        neighbours = np.flatnonzero(mask[k])
        cand[k * G:(k + 1) * G, : len(neighbours)] = neighbours
    groups = np.asarray(REACT_GROUPS, np.int64)
    weights = 1.0 / np.asarray(REACT_DIVISORS)
    if abandon:
        ub = _dtw_numba.diagonal_bounds(x, y, cand, n_cand, groups, weights)  # (Q, S), inf past n_cand
        order = np.argsort(ub, axis=1, kind="stable")
        cand = np.take_along_axis(cand, order, axis=1)
        upper = ub.min(axis=1) * (1.0 + _UPPER_MARGIN)
    else:
        upper = np.full(N * G, np.inf)
    best, skipped = _dtw_numba.min_distances(x, y, cand, n_cand, upper, groups, weights, abandon)
    return torch.from_numpy(best.reshape(N, G).sum(axis=1)), int(skipped.sum())


def _fr_dist_per_speaker(p: torch.Tensor, t: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Kernel: per-speaker FRDist ``(N,)`` float64 of validated ``p (N, G, T, 25)``, ``t (M, T, 25)``,
    ``a (N, M)`` bool; the numba kernel with early abandoning on the CPU, the DTW kernel elsewhere."""
    if p.device.type == "cpu":
        per_speaker, _ = _fr_dist_numba(p, t, a)
        return per_speaker
    return _pairwise_dtw(p, t, a.cpu().numpy(), p.device).amin(dim=2).sum(dim=1)


def fr_dist(
    preds: Any, targets: Any, appropriate: Any, *, protocol: str = REACT2024, reduction: str = "mean"
) -> float | torch.Tensor:
    """FRDist, the appropriateness distance (lower is better).

    Args:
        preds: ``(N, G, T, 25)`` generated reactions (any device; a GPU uses the torch kernel).
        targets: ``(M, T, 25)`` real listener reactions, same T.
        appropriate: ``(N, M)`` 0/1 matrix with at least one 1 per row.
        protocol: ``"react2024"`` or ``"corrected"`` (same value: FRDist has no quirk).
        reduction: ``"mean"`` -> Python float; ``"none"`` -> per-speaker ``(N,)`` float64 tensor
            ``sum_i min_j D(preds[k, i], targets[j])``.

    Example:
        >>> x = torch.zeros(1, 2, 3, 25); y = torch.zeros(2, 3, 25); y[1] += 1.0
        >>> fr_dist(x, y, [[1, 1]])
        0.0
    """
    check_protocol(protocol)
    check_reduction(reduction)
    p = check_preds(preds)
    t = check_sequences(targets, "targets", device=p.device)
    check_same_frames(p, "preds", t, "targets")
    a = check_appropriate(appropriate, p.shape[0], t.shape[0], device=p.device)
    per_speaker = _fr_dist_per_speaker(p, t, a)
    if reduction == "none":
        return per_speaker
    return float(per_speaker.mean())
