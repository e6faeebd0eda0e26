"""Exact dynamic time warping: ``dtw``, ``cdist_dtw`` and the REACT distance ``pairwise_dtw``.

``dtw(x, y)`` is the classic unconstrained DTW of tslearn (``tslearn.metrics.dtw``): local cost the
squared Euclidean distance between frames, result the square root of the minimal accumulated cost,
float64 throughout. ``pairwise_dtw`` is the group-weighted distance of FRDist (SPEC-metrics.md)::

    D(x, y) = dtw(x[:, AU], y[:, AU]) / 15 + dtw(x[:, VA], y[:, VA]) + dtw(x[:, FE], y[:, FE]) / 8

Backends: on the CPU a numba kernel (``_dtw_numba``: parallel over groups of 8 pairs, vectorised
across them; ``NUMBA_NUM_THREADS`` / ``numba.set_num_threads`` set its thread count; compiled on
the first call and cached on disk); on CUDA the fused Triton kernel (``_dtw_triton``: one program per
pair, the local cost computed on the fly, the three groups in one pass); on any other device, or
where Triton is missing, a torch wavefront kernel (``_dtw_torch``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from react_bench.constants import AU_SLICE, FE_SLICE, NUM_AU, NUM_FE, VA_SLICE
from react_bench.metrics import _dtw_numba, _dtw_torch, _dtw_triton
from react_bench.metrics.checks import (
    check_appropriate,
    check_channels_match,
    check_preds,
    check_same_frames,
    check_sequence_set,
    check_sequences,
)

__all__ = ["dtw", "cdist_dtw", "pairwise_dtw", "REACT_GROUPS", "REACT_DIVISORS"]

REACT_GROUPS = (AU_SLICE.start, AU_SLICE.stop, VA_SLICE.stop, FE_SLICE.stop)
"""Channel boundaries of the three DTW groups of FRDist: AU ``[0, 15)``, VA ``[15, 17)``, FE ``[17, 25)``."""
REACT_DIVISORS = (float(NUM_AU), 1.0, float(NUM_FE))
"""Each group's DTW is divided by these (the official weighting: AU / 15, VA, FE / 8)."""
if AU_SLICE.stop != VA_SLICE.start or VA_SLICE.stop != FE_SLICE.start:  # pragma: no cover - constants
    raise ImportError("react_bench.constants: the AU, VA and FE slices must be contiguous for the DTW kernel")


def _resolve_device(t: torch.Tensor, device) -> torch.device:
    return t.device if device is None else torch.device(device)


def _costs(x: torch.Tensor, y: torch.Tensor, qi: np.ndarray, ti: np.ndarray, groups, device: torch.device):
    """Accumulated cost per group of pairs ``(x[qi], y[ti])`` -> ``(P, ng)`` float64 tensor on ``device``."""
    if len(qi) == 0:
        return torch.zeros(0, len(groups) - 1, dtype=torch.float64, device=device)
    if device.type == "cpu":
        xs = np.ascontiguousarray(x.detach().cpu().numpy(), dtype=np.float64)
        ys = np.ascontiguousarray(y.detach().cpu().numpy(), dtype=np.float64)
        res = _dtw_numba.pair_costs(xs, ys, qi.astype(np.int64), ti.astype(np.int64), np.asarray(groups, np.int64))
        return torch.from_numpy(res)
    qt = torch.as_tensor(qi, device=device)
    tt = torch.as_tensor(ti, device=device)
    xd, yd = x.to(device), y.to(device)
    # CUDA: the fused Triton kernel (one program per pair, cost on the fly); the torch wavefront where
    # Triton is missing. The device check matters: under TRITON_INTERPRET=1 Triton also accepts CPU
    # tensors, and the CPU stays on numba.
    if device.type == "cuda" and _dtw_triton.available(xd, yd):
        return _dtw_triton.pair_costs(xd, yd, qt, tt, list(groups))
    return _dtw_torch.pair_costs(xd, yd, qt, tt, list(groups))


def dtw(x: Any, y: Any) -> float:
    """DTW distance between two sequences, as ``tslearn.metrics.dtw``.

    Args:
        x: ``(T1, C)`` sequence (``(T1,)`` means one channel); y: ``(T2, C)``.

    Returns:
        ``sqrt`` of the minimal accumulated squared Euclidean frame distance (float64).

    Example:
        >>> dtw([[0.0], [1.0], [2.0]], [[0.0], [2.0]])
        1.0
    """
    xt = check_sequence_set(x, "x", ndim=2)
    yt = check_sequence_set(y, "y", ndim=2)
    check_channels_match(xt, "x", yt, "y")
    zero = np.zeros(1, np.int64)
    acc = _costs(xt[None], yt[None], zero, zero, (0, xt.shape[-1]), xt.device)
    return float(acc[0, 0].sqrt())


def cdist_dtw(X: Any, Y: Any = None, *, device=None) -> np.ndarray:
    """DTW between every sequence of ``X`` and every sequence of ``Y``, as ``tslearn.metrics.cdist_dtw``.

    Args:
        X: ``(n, T1, C)`` sequences; Y: ``(m, T2, C)`` or ``None`` for ``X`` against itself (then
            each unordered pair is computed once and the diagonal is 0).
        device: where to compute (``None``: where ``X`` is; the CPU uses the numba kernel).

    Returns:
        ``(n, m)`` float64 numpy array of DTW distances.

    Example:
        >>> cdist_dtw([[[0.0], [1.0]], [[1.0], [1.0]]])
        array([[0., 1.],
               [1., 0.]])
    """
    Xt = check_sequence_set(X, "X", ndim=3)
    dev = _resolve_device(Xt, device)
    groups = (0, Xt.shape[-1])
    n = Xt.shape[0]
    if Y is None:
        qi, ti = np.triu_indices(n, k=1)
        acc = _costs(Xt, Xt, qi, ti, groups, dev)[:, 0].sqrt().cpu().numpy()
        out = np.zeros((n, n))
        out[qi, ti] = acc
        out[ti, qi] = acc
        return out
    Yt = check_sequence_set(Y, "Y", ndim=3)
    check_channels_match(Xt, "X", Yt, "Y")
    m = Yt.shape[0]
    qi, ti = (a.ravel() for a in np.indices((n, m)))
    return _costs(Xt, Yt, qi, ti, groups, dev)[:, 0].sqrt().cpu().numpy().reshape(n, m)


def react_distance_from_costs(acc: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` accumulated group costs -> ``(...)`` REACT distances ``sqrt(AU)/15 + sqrt(VA) + sqrt(FE)/8``."""
    s = acc.sqrt()
    return s[..., 0] / REACT_DIVISORS[0] + s[..., 1] / REACT_DIVISORS[1] + s[..., 2] / REACT_DIVISORS[2]


def pairwise_dtw(preds: Any, targets: Any, appropriate: Any = None, *, device=None) -> torch.Tensor:
    """REACT distance ``D`` between every generation and every target.

    Args:
        preds: ``(N, G, T, 25)`` generated reactions.
        targets: ``(M, T, 25)`` real listener reactions.
        appropriate: optional ``(N, M)`` 0/1 matrix: only pairs with ``appropriate[k, j] == 1`` are
            computed, every other entry is ``+inf`` (what FRDist's min ignores). ``None``: all pairs.
        device: where to compute (``None``: where ``preds`` is; the CPU uses the numba kernel).

    Returns:
        ``(N, G, M)`` float64 tensor on ``device``: ``out[k, i, j] = D(preds[k, i], targets[j])``.

    Example:
        >>> x = torch.zeros(1, 1, 3, 25); y = torch.zeros(1, 3, 25); y[0, :, 15] = 1.0
        >>> pairwise_dtw(x, y)
        tensor([[[1.7321]]], dtype=torch.float64)
    """
    p = check_preds(preds)
    dev = _resolve_device(p, device)
    t = check_sequences(targets, "targets")
    check_same_frames(p, "preds", t, "targets")
    N, M = p.shape[0], t.shape[0]
    if appropriate is None:
        mask = np.ones((N, M), dtype=bool)
    else:
        mask = check_appropriate(appropriate, N, M).cpu().numpy()
    return _pairwise_dtw(p, t, mask, dev)


def _pairwise_dtw(p: torch.Tensor, t: torch.Tensor, mask: np.ndarray, dev: torch.device) -> torch.Tensor:
    """Kernel of :func:`pairwise_dtw`: validated ``p (N, G, T, C)``, ``t (M, T, C)``, ``mask (N, M)`` bool
    numpy -> ``(N, G, M)`` float64 on ``dev``, ``+inf`` where ``mask`` is False."""
    N, G, T, C = p.shape
    M = t.shape[0]
    k, j = np.nonzero(mask)
    i = np.arange(G)
    qi = (k[:, None] * G + i[None, :]).ravel()  # (pairs, G) flattened: query index k * G + i
    ti = np.repeat(j, G)
    acc = _costs(p.reshape(N * G, T, C), t, qi, ti, REACT_GROUPS, dev)
    out = torch.full((N, G, M), float("inf"), dtype=torch.float64, device=dev)
    out[torch.as_tensor(qi // G, device=dev), torch.as_tensor(qi % G, device=dev), torch.as_tensor(ti, device=dev)] = (
        react_distance_from_costs(acc).to(dev)
    )
    return out
