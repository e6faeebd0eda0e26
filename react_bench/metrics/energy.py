"""FREnergy: the energy score of a speaker's generations against its appropriate reactions (lower is better).

Not an official REACT metric: react-bench reports it beside them because it is a proper scoring
rule (Gneiting & Raftery 2007, Eq. 22): its expectation is smallest when the generations are drawn
from the distribution the appropriate reactions come from, so a denoised average (which FRCorr
rewards) or an over-dispersed sampler both lose. For speaker k with generations ``x_1..x_G`` and
appropriate reactions ``{y_j : appropriate[k, j]}`` (the row of the (N, M) matrix):

    ES_k = mean_{i, j} d(x_i, y_j) - 1 / (2 G (G - 1)) sum_{i != i'} d(x_i, x_i')

with ``d`` the RMS distance of two ``(T, 25)`` sequences, ``sqrt(mean over T * 25 of the squared
differences)``. With G = 1 the second term is 0. FREnergy is the mean of ES_k over speakers. The same
value under both protocols (no official quirk exists to reproduce).
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.metrics.checks import (
    check_appropriate,
    check_preds,
    check_reduction,
    check_same_frames,
    check_sequences,
)

__all__ = ["fr_energy"]

_CHUNK_ELEMENTS = 8_000_000
"""Elements of one block of pairwise differences: ~64 MB of float64."""


def _rms_pairs(x: torch.Tensor, xi: torch.Tensor, y: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
    """``(P,)`` RMS distances ``d(x[xi[q]], y[yi[q]])`` of rows of ``x (X, T, C)`` and ``y (Y, T, C)``,
    gathered and differenced directly in blocks (no ``|x|^2 + |y|^2 - 2 x.y`` cancellation: d(x, x) is exactly 0)."""
    per = max(1, _CHUNK_ELEMENTS // max(1, x.shape[1] * x.shape[2]))
    out = x.new_zeros(len(xi))
    for s in range(0, len(xi), per):
        out[s : s + per] = (x[xi[s : s + per]] - y[yi[s : s + per]]).square().mean(dim=(1, 2)).sqrt()
    return out


def _fr_energy_per_speaker(p: torch.Tensor, t: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Kernel: ``(N,)`` float64 energy score per speaker of validated ``p (N, G, T, C)`` float64,
    ``t (M, T, C)`` float64 and ``a (N, M)`` bool (no empty row).

    Only the appropriate (speaker, target) pairs and the generation pairs are differenced, so the cost
    is ``N G (m + G) T C`` for m appropriate targets per speaker, not ``N G M T C``.
    """
    n, g, frames, c = p.shape
    flat = p.reshape(n * g, frames, c)  # row k * G + i
    speaker, target = a.nonzero(as_tuple=True)  # (P,) appropriate pairs
    gen = torch.arange(g, device=p.device)
    rows = (speaker[:, None] * g + gen[None, :]).reshape(-1)  # (P * G,)
    cross = _rms_pairs(flat, rows, t, target.repeat_interleave(g)).view(-1, g).mean(dim=1)  # (P,) mean_i d(x_ki, y_j)
    first = torch.zeros(n, dtype=p.dtype, device=p.device).index_add_(0, speaker, cross)
    first = first / a.sum(dim=1).to(p.dtype)  # mean over the appropriate j
    if g < 2:
        return first
    i, i2 = torch.triu_indices(g, g, offset=1, device=p.device)  # unordered pairs i < i'
    base = (torch.arange(n, device=p.device) * g)[:, None]
    spread = _rms_pairs(flat, (base + i).reshape(-1), flat, (base + i2).reshape(-1)).view(n, -1)  # (N, G(G-1)/2)
    # The sum over ordered pairs i != i' is twice the unordered sum.
    return first - 2.0 * spread.sum(dim=1) / (2.0 * g * (g - 1))


def fr_energy(
    preds: Any, targets: Any, appropriate: Any, *, reduction: str = "mean", device=None
) -> float | torch.Tensor:
    """FREnergy (lower is better): the energy score of each speaker's G generations against its
    appropriate reactions, averaged over speakers (module docstring). Not an official REACT metric.

    Args:
        preds: ``(N, G, T, 25)`` generated reactions.
        targets: ``(M, T, 25)`` reactions, same T.
        appropriate: ``(N, M)`` 0/1 matrix with at least one 1 per row.
        reduction: ``"mean"`` -> Python float; ``"none"`` -> per-speaker ``(N,)`` float64 tensor.
        device: where to compute; ``None`` keeps preds' device.

    >>> import torch
    >>> x = torch.zeros(1, 2, 4, 25); x[0, 1] = 1.0  # two generations, 0 and 1 everywhere
    >>> y = torch.zeros(1, 4, 25)                     # one appropriate reaction, all 0
    >>> fr_energy(x, y, [[1]])                         # mean(0, 1) - 1 / (2 * 2) * (1 + 1)
    0.0
    >>> fr_energy(x[:, :1], y + 0.5, [[1]])
    0.5
    """
    check_reduction(reduction)
    p = check_preds(preds, device=device, dtype=torch.float64)
    t = check_sequences(targets, "targets", device=p.device, dtype=torch.float64)
    check_same_frames(p, "preds", t, "targets")
    a = check_appropriate(appropriate, p.shape[0], t.shape[0], device=p.device)
    per_speaker = _fr_energy_per_speaker(p, t, a)
    return per_speaker if reduction == "none" else float(per_speaker.mean())
