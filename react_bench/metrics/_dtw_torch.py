"""Exact batched DTW in torch: an anti-diagonal (wavefront) dynamic program, any device.

Kernels here trust their inputs (validated by ``dtw.py`` / ``frdist.py``).

All cells ``(i, j)`` with ``i + j = d`` depend only on the diagonals ``d - 1`` and ``d - 2``, so the
recurrence ``acc[i, j] = cost[i, j] + min(acc[i-1, j-1], acc[i-1, j], acc[i, j-1])`` runs as
``T1 + T2 - 1`` batched tensor steps over every pair and channel group at once. Local costs and
accumulation are float64 (float32 accumulation drifts to ~6e-7 relative at T = 750).

On a CPU this is slow (one small op per diagonal; the numba kernel is the default there); on a GPU
it is a correct, exact path with large batches.
"""

from __future__ import annotations

import torch

_COST_BYTES = {"cuda": 2 << 30, "cpu": 256 << 20}
"""Memory budget of one chunk's float64 local-cost tensor ``(P, ng, T1, T2)``, per device type."""


def _local_costs(x: torch.Tensor, y: torch.Tensor, groups: list[int]) -> torch.Tensor:
    """Squared Euclidean frame distances per group: x ``(P, T1, C)``, y ``(P, T2, C)`` -> ``(P, ng, T1, T2)``.

    Channels are summed one at a time in order, as tslearn's ``_local_squared_dist`` does.
    """
    P, T1, _ = x.shape
    T2 = y.shape[1]
    out = torch.zeros(P, len(groups) - 1, T1, T2, dtype=torch.float64, device=x.device)
    for g in range(len(groups) - 1):
        for c in range(groups[g], groups[g + 1]):
            diff = x[:, :, c, None] - y[:, None, :, c]  # (P, T1, T2)
            out[:, g] += diff * diff
    return out


def _wavefront(cost: torch.Tensor) -> torch.Tensor:
    """Accumulated cost at ``(T1 - 1, T2 - 1)`` of ``cost (B, T1, T2)`` float64 -> ``(B,)``."""
    B, T1, T2 = cost.shape
    dev = cost.device
    flat = cost.reshape(B, T1 * T2)
    inf = torch.tensor(float("inf"), dtype=cost.dtype, device=dev)
    rows = torch.arange(T1, device=dev)
    # acc of diagonals d-1 and d-2, indexed by i + 1 (slot 0 stands for row -1: always inf)
    prev1 = torch.full((B, T1 + 1), float("inf"), dtype=cost.dtype, device=dev)
    prev2 = prev1.clone()
    for d in range(T1 + T2 - 1):
        cols = d - rows
        valid = (cols >= 0) & (cols < T2)  # (T1,)
        c = flat[:, rows * T2 + cols.clamp(0, T2 - 1)]  # (B, T1)
        if d == 0:
            best = torch.zeros_like(c)  # acc[-1, -1] = 0
        else:
            # up = acc[i-1, j] (d-1, row i-1), left = acc[i, j-1] (d-1, row i), diag = acc[i-1, j-1]
            best = torch.minimum(torch.minimum(prev1[:, :-1], prev1[:, 1:]), prev2[:, :-1])
        new = torch.where(valid, c + best, inf)
        prev2 = prev1
        prev1 = torch.cat([prev1[:, :1], new], dim=1)
    return prev1[:, T1]


@torch.no_grad()
def pair_costs(x: torch.Tensor, y: torch.Tensor, qi: torch.Tensor, ti: torch.Tensor, groups: list[int]) -> torch.Tensor:
    """Accumulated DTW cost per channel group of the pairs ``(x[qi[p]], y[ti[p]])``.

    Args:
        x: ``(A, T1, C)`` queries; y: ``(B, T2, C)`` targets (cast to float64 here).
        qi, ti: ``(P,)`` int64 pair indices on the same device.
        groups: channel boundaries ``[c0, c1, ..., C]`` of the ``ng`` groups.

    Returns:
        ``(P, ng)`` float64 accumulated costs (the distance is their ``sqrt``).
    """
    x = x.to(torch.float64)
    y = y.to(torch.float64)
    P = qi.shape[0]
    ng = len(groups) - 1
    T1, T2 = x.shape[1], y.shape[1]
    out = torch.empty(P, ng, dtype=torch.float64, device=x.device)
    budget = _COST_BYTES.get(x.device.type, _COST_BYTES["cpu"])
    chunk = max(1, budget // (8 * ng * T1 * T2 * 2))  # x2: the cost tensor and its temporaries
    for p0 in range(0, P, chunk):
        sl = slice(p0, min(P, p0 + chunk))
        cost = _local_costs(x[qi[sl]], y[ti[sl]], groups)  # (p, ng, T1, T2)
        out[sl] = _wavefront(cost.reshape(-1, T1, T2)).reshape(-1, ng)
    return out
