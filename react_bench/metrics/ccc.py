"""Concordance correlation (CCC) and FRCorr, batched in float64.

Per channel, ``CCC(a, b) = 2 cov(a, b) / (var_a + var_b + (m_a - m_b)^2 + 1e-8)`` with ddof = 0;
a sequence's CCC is the mean over its 25 channels (SPEC-metrics.md, FRCorr).

The official code writes the numerator as ``2 r s_a s_b`` with ``r`` from ``np.corrcoef``. Since
``r s_a s_b`` is the ddof-0 covariance, we compute the covariance directly. A channel constant in
either sequence has ``r = NaN`` there, which the official code turns into 0; its covariance is
exactly 0 as well, so ``react2024`` gets the same 0 without ever producing a NaN.

``corrected`` drops the 1e-8 (it is then the textbook CCC) and defines the one case where the
textbook formula is 0/0, two identical constant channels, as CCC 1 (perfect agreement). Two
constant channels with different values get 0, a constant vs a varying channel gets the formula's
value (0, since their covariance is 0).
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.constants import CCC_EPS
from react_bench.metrics.checks import (
    check_appropriate,
    check_preds,
    check_reduction,
    check_same_frames,
    check_sequences,
)
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["pairwise_ccc", "fr_corr"]

_CHUNK_ELEMENTS = 4_000_000
"""Elements of one gathered (speakers, K, T, 25) block of neighbours in FRCorr: ~32 MB of float64."""


def _moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centred sequences ``(..., T, C)``, means, ddof-0 variances ``(..., C)`` and a constant-channel mask."""
    constant = (x == x[..., :1, :]).all(dim=-2)
    # A constant channel's mean is its value exactly (a float64 sum could round), so its deviations are 0.
    mean = torch.where(constant, x[..., 0, :], x.mean(dim=-2))
    centred = x - mean.unsqueeze(-2)
    var = centred.square().mean(dim=-2)
    return centred, mean, var, constant


def _ccc_from_moments(cov, mean_a, var_a, const_a, mean_b, var_b, const_b, protocol: str) -> torch.Tensor:
    """Per-channel CCC ``(..., C)`` from broadcastable moments, averaged over channels -> ``(...)``."""
    spread = var_a + var_b + (mean_a - mean_b).square()
    if protocol == REACT2024:
        # r = NaN -> 0 for a constant channel: its covariance is 0 here, so nothing more to do.
        return (2.0 * cov / (spread + CCC_EPS)).mean(dim=-1)
    both_const = const_a & const_b
    cov = torch.where(const_a | const_b, torch.zeros_like(cov), cov)
    identical = both_const & (mean_a == mean_b)
    safe = torch.where(identical, torch.ones_like(spread), spread)
    ccc = torch.where(identical, torch.ones_like(cov), 2.0 * cov / safe)
    return ccc.mean(dim=-1)


def _pairwise_ccc(preds: torch.Tensor, targets: torch.Tensor, protocol: str) -> torch.Tensor:
    """Kernel: ``(N, G, T, C)`` x ``(M, T, C)`` float64 -> ``(N, G, M)``; trusts its inputs."""
    n, g, t, c = preds.shape
    pc, pm, pv, pk = _moments(preds)  # (N, G, T, C), (N, G, C) x3
    tc, tm, tv, tk = _moments(targets)  # (M, T, C), (M, C) x3
    # cov[n, g, m, c] = sum_t pc[n, g, t, c] tc[m, t, c] / T: one batched matmul per channel.
    lhs = pc.reshape(n * g, t, c).permute(2, 0, 1)  # (C, NG, T)
    rhs = tc.permute(2, 1, 0)  # (C, T, M)
    cov = torch.bmm(lhs, rhs).permute(1, 2, 0).reshape(n, g, -1, c) / t  # (N, G, M, C)
    return _ccc_from_moments(
        cov, pm[:, :, None], pv[:, :, None], pk[:, :, None], tm[None, None], tv[None, None], tk[None, None], protocol
    )


def _fr_corr_per_speaker(preds: torch.Tensor, targets: torch.Tensor, appropriate: torch.Tensor, protocol: str):
    """``sum_i max_{j appropriate} CCC(targets[j], preds[k, i])`` per speaker -> ``(N,)`` float64.

    Only the appropriate pairs are computed (about 7 per speaker instead of M): each speaker's
    neighbours are gathered into a padded ``(K, T, C)`` block and one batched matmul per chunk of
    speakers gives every covariance.
    """
    n, g, t, c = preds.shape
    pc, pm, pv, pk = _moments(preds)  # (N, G, T, C), (N, G, C) x3
    tc, tm, tv, tk = _moments(targets)  # (M, T, C), (M, C) x3
    counts = appropriate.sum(dim=1)
    k = int(counts.max())
    # Row k's neighbours first (stable sort of the 0/1 row, descending), padded with its own first neighbour.
    order = torch.sort(appropriate.to(torch.int8), dim=1, descending=True, stable=True).indices[:, :k]  # (N, K)
    valid = torch.arange(k, device=preds.device)[None] < counts[:, None]  # (N, K)
    lhs = pc.permute(0, 3, 1, 2)  # (N, C, G, T)
    step = max(1, _CHUNK_ELEMENTS // (k * t * c))
    out = []
    for start in range(0, n, step):
        idx = order[start:start + step]  # (B, K)
        rhs = tc[idx].permute(0, 3, 2, 1)  # (B, C, T, K)
        cov = torch.matmul(lhs[start:start + step], rhs).permute(0, 2, 3, 1) / t  # (B, G, K, C)
        sl = slice(start, start + step)
        ccc = _ccc_from_moments(
            cov, pm[sl, :, None], pv[sl, :, None], pk[sl, :, None],
            tm[idx][:, None], tv[idx][:, None], tk[idx][:, None], protocol,
        )  # (B, G, K)
        ccc = ccc.masked_fill(~valid[sl, None, :], -torch.inf)
        out.append(ccc.amax(dim=2).sum(dim=1))
    return torch.cat(out)


def pairwise_ccc(preds: Any, targets: Any, *, protocol: str = REACT2024, device=None) -> torch.Tensor:
    """CCC of every generation against every target sequence.

    Args:
        preds: ``(N, G, T, 25)`` generated reactions.
        targets: ``(M, T, 25)`` real reactions.
        protocol: ``"react2024"`` (official: a constant channel contributes 0) or ``"corrected"``
            (textbook CCC; two identical constant channels agree perfectly, CCC 1).
        device: where to compute; ``None`` keeps the input's device.

    Returns:
        ``(N, G, M)`` float64 tensor, entry ``[k, i, j] = mean_c CCC_c(targets[j], preds[k, i])``.

    >>> import torch
    >>> x = torch.linspace(0, 1, 10)[:, None].repeat(1, 25)
    >>> round(float(pairwise_ccc(x[None, None], x[None])[0, 0, 0]), 4)
    1.0
    """
    check_protocol(protocol)
    p = check_preds(preds, device=device, dtype=torch.float64)
    t = check_sequences(targets, "targets", device=p.device, dtype=torch.float64)
    check_same_frames(p, "preds", t, "targets")
    return _pairwise_ccc(p, t, protocol)


def fr_corr(
    preds: Any,
    targets: Any,
    appropriate: Any,
    *,
    protocol: str = REACT2024,
    reduction: str = "mean",
    per_generation: bool = False,
    device=None,
):
    """FRCorr (appropriateness, higher is better): ``mean_k sum_i max_{j: appropriate[k, j]} CCC``.

    A sum over the G generations, so its range is ``[-G, G]``; ``per_generation=True`` divides by G
    (range ``[-1, 1]``; the corrected protocol reports this as ``FRCorr_per_gen``).

    Args:
        preds: ``(N, G, T, 25)`` generated reactions.
        targets: ``(M, T, 25)`` real reactions.
        appropriate: ``(N, M)`` 0/1 matrix, at least one 1 per row.
        protocol: ``"react2024"`` or ``"corrected"`` (see ``pairwise_ccc``).
        reduction: ``"mean"`` -> Python float; ``"none"`` -> ``(N,)`` float64 per-speaker values
            whose mean is the scalar.

    >>> import torch
    >>> x = torch.linspace(0, 1, 10)[:, None].repeat(1, 25)
    >>> round(fr_corr(x[None, None].repeat(1, 2, 1, 1), x[None], [[1]]), 6)  # 1e-8 keeps it just under 2
    2.0
    """
    check_protocol(protocol)
    check_reduction(reduction)
    p = check_preds(preds, device=device, dtype=torch.float64)
    t = check_sequences(targets, "targets", device=p.device, dtype=torch.float64)
    check_same_frames(p, "preds", t, "targets")
    a = check_appropriate(appropriate, p.shape[0], t.shape[0], device=p.device)
    per_speaker = _fr_corr_per_speaker(p, t, a, protocol)
    if per_generation:
        per_speaker = per_speaker / p.shape[1]
    return per_speaker if reduction == "none" else float(per_speaker.mean())

