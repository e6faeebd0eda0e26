"""FRDiv, FRVar and FRDvs: diversity of the generated reactions, float64 (SPEC-metrics.md).

Sums of squared distances over all ordered pairs use the exact identity
``sum_{a, b} ||p_a - p_b||^2 = 2 n sum_a ||p_a - mean||^2`` (n items), which is one pass over the
data and does not cancel the way ``2 n sum ||p||^2 - 2 ||sum p||^2`` does. The same protocol applies
to both ``react2024`` and ``corrected``: these three metrics have no quirks.
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.metrics.checks import check_min_speakers, check_preds, check_reduction

__all__ = ["fr_div", "fr_var", "fr_dvs"]


def _fr_div_per_speaker(p: torch.Tensor) -> torch.Tensor:
    """``(N, G, T, C)`` float64 -> ``(N,)``: ``sum_{i != i'} ||p_ki - p_ki'||^2 / (G (G-1) T C)``; 0 when G = 1."""
    n, g, t, c = p.shape
    if g < 2:
        return p.new_zeros(n)
    centred = p - p.mean(dim=1, keepdim=True)
    pair_sum = 2.0 * g * centred.square().sum(dim=(1, 2, 3))  # the i == i' terms are 0
    return pair_sum / (g * (g - 1) * t * c)


def _fr_var_per_speaker(p: torch.Tensor) -> torch.Tensor:
    """``(N, G, T, C)`` -> ``(N,)``: mean over (generation, channel) of the ddof-1 variance over time."""
    return p.var(dim=2, correction=1).mean(dim=(1, 2))


def _fr_dvs_per_speaker(p: torch.Tensor) -> torch.Tensor:
    """``(N, G, T, C)`` -> ``(N,)`` with mean = FRDvs: speaker k's share
    ``sum_i sum_{k'} ||p_ki - p_k'i||^2 / ((N-1) G T C)`` (same generation index only)."""
    n, g, t, c = p.shape
    centred = p - p.mean(dim=0, keepdim=True)  # centred on the mean over speakers, per generation
    own = centred.square().sum(dim=(2, 3))  # (N, G) ||p_ki - mean_i||^2
    # sum_{k'} ||p_ki - p_k'i||^2 = N ||p_ki - mean_i||^2 + sum_{k'} ||p_k'i - mean_i||^2
    to_all = n * own + own.sum(dim=0, keepdim=True)  # (N, G)
    return to_all.sum(dim=1) / ((n - 1) * g * t * c)


def _reduce(per_speaker: torch.Tensor, reduction: str):
    return per_speaker if reduction == "none" else float(per_speaker.mean())


def fr_div(preds: Any, *, reduction: str = "mean", device=None):
    """FRDiv (higher is better): mean over speakers of the mean squared distance between two different
    generations of that speaker, per frame and channel (ordered pairs; 0 when G = 1).

    Args:
        preds: ``(N, G, T, 25)``.
        reduction: ``"mean"`` -> float; ``"none"`` -> ``(N,)`` float64 per speaker.

    >>> import torch
    >>> preds = torch.zeros(1, 2, 4, 25); preds[0, 1] = 1.0
    >>> fr_div(preds)
    1.0
    """
    check_reduction(reduction)
    p = check_preds(preds, device=device, dtype=torch.float64)
    return _reduce(_fr_div_per_speaker(p), reduction)


def fr_var(preds: Any, *, reduction: str = "mean", device=None):
    """FRVar (higher is better): mean over (speaker, generation, channel) of the unbiased variance
    over the T frames.

    Args:
        preds: ``(N, G, T, 25)``.
        reduction: ``"mean"`` -> float; ``"none"`` -> ``(N,)`` float64 per speaker.

    >>> import torch
    >>> fr_var(torch.tensor([0.0, 2.0])[None, None, :, None].repeat(1, 1, 1, 25))
    2.0
    """
    check_reduction(reduction)
    p = check_preds(preds, device=device, dtype=torch.float64)
    return _reduce(_fr_var_per_speaker(p), reduction)


def fr_dvs(preds: Any, *, reduction: str = "mean", device=None):
    """FRDvs (higher is better): ``sum_i sum_{k != k'} ||p_ki - p_k'i||^2 / (N (N-1) G T 25)``, the
    diversity across speakers of the same generation index i. Needs N >= 2.

    Args:
        preds: ``(N, G, T, 25)``.
        reduction: ``"mean"`` -> float; ``"none"`` -> ``(N,)`` float64 per-speaker shares whose mean
            is the scalar.

    >>> import torch
    >>> preds = torch.zeros(2, 1, 4, 25); preds[1] = 1.0
    >>> fr_dvs(preds)
    1.0
    """
    check_reduction(reduction)
    p = check_preds(preds, device=device, dtype=torch.float64)
    check_min_speakers(p, 2, "FRDvs")
    return _reduce(_fr_dvs_per_speaker(p), reduction)
