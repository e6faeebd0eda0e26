"""Time-lagged cross-correlation (TLCC) offsets and FRSyn, all 99 lags at once.

For a prediction ``x = preds[k, i]`` ``(T, 25)`` and its speaker ``s = speaker[k]``, lag
``l in -49..49`` pairs ``x[t + l]`` with ``s[t]`` over the frames where both exist: ``(x[l:], s[:-l])``
for ``l > 0``, ``(x[:l], s[-l:])`` for ``l < 0`` (SPEC-metrics.md, FRSyn). The lag's score is the mean
over the 25 channels of the Pearson correlation of the two windows; the offset is ``49 - argmax``
over the 99 lags, so a prediction that lags the speaker by ``+d`` frames gets offset ``-d``.

How it is computed: every window is a prefix or a suffix of its sequence, so the window sums of
``x, x^2, s, s^2`` come from prefix sums, and the 99 cross sums ``sum_t x[t + l] s[t]`` from one
FFT cross-correlation per channel, all in float64. Each sequence is centred on its own full-length
mean first (Pearson correlation does not change) so that the prefix-sum variances do not cancel.
Constant windows are found exactly from the first and last frame at which a channel changes.

react2024: a channel constant over a window makes that lag's correlation NaN, the channel mean is
taken in float32 (the official ``torch.mean(torch.Tensor(pcc_list))``), and ``torch.argmax`` returns
the FIRST NaN when there is one. A channel constant over the whole sequence thus gives offset +49.
corrected: a lag's score is the float64 mean over the channels whose correlation is defined at that
lag; a pair with no defined channel at any lag gets offset +49 (the worst |offset|, as react2024).
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.constants import TLCC_MAX_LAG
from react_bench.metrics.checks import check_preds, check_reduction, check_speaker
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["tlcc_offsets", "fr_syn", "lag_correlations"]

_CHUNK_ELEMENTS = 2_000_000
"""Elements of preds handled at once (speakers x G x T x 25): bounds the float64 work arrays (~16 MB each)."""


def _first_last_change(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``(..., T)``: first frame differing from frame 0 (T if none) and last frame differing from
    frame T-1 (-1 if none), each ``(...)`` int64."""
    t = x.shape[-1]
    frames = torch.arange(t, device=x.device)
    first = torch.where(x != x[..., :1], frames, t).amin(dim=-1)
    last = torch.where(x != x[..., -1:], frames, -1).amax(dim=-1)
    return first, last


def _prefix(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.pad(x.cumsum(dim=-1), (1, 0))  # (..., T + 1)


def _window_sums(prefix: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """``sum x[start:end]`` for each lag from prefix sums ``(..., T + 1)`` -> ``(..., L)``."""
    return prefix.index_select(-1, end) - prefix.index_select(-1, start)


def _fft_size(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (pocketfft is fastest on such sizes)."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35
            while size < n:
                size *= 2
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def _lag_correlations(x: torch.Tensor, s: torch.Tensor, max_lag: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel. ``x (B, G, T, C)``, ``s (B, T, C)`` float64 -> Pearson ``r (B, G, L, C)`` for the
    L = 2 max_lag + 1 lags ``-max_lag..max_lag`` (NaN-free) and ``defined (B, G, L, C)`` (False where
    a window is constant)."""
    t = x.shape[-2]
    dev = x.device
    x = x.transpose(-1, -2).contiguous()  # (B, G, C, T): time last for cumsum and FFT
    s = s.transpose(-1, -2).contiguous()[:, None]  # (B, 1, C, T)
    x_first, x_last = _first_last_change(x)  # (B, G, C), on the raw values: exact
    s_first, s_last = _first_last_change(s)  # (B, 1, C)
    x = x - x.mean(dim=-1, keepdim=True)
    s = s - s.mean(dim=-1, keepdim=True)

    lags = torch.arange(-max_lag, max_lag + 1, device=dev)  # (L,)
    x_start, x_end = lags.clamp(min=0), t + lags.clamp(max=0)
    s_start, s_end = (-lags).clamp(min=0), t - lags.clamp(min=0)
    length = (t - lags.abs()).to(x.dtype)

    sx = _window_sums(_prefix(x), x_start, x_end)  # (B, G, C, L)
    sxx = _window_sums(_prefix(x * x), x_start, x_end)
    ss = _window_sums(_prefix(s), s_start, s_end)  # (B, 1, C, L)
    sss = _window_sums(_prefix(s * s), s_start, s_end)

    # Cross sums sum_t x[t + l] s[t]: circular cross-correlation, zero-padded to n >= T + max_lag.
    n = _fft_size(t + max_lag)
    spec = torch.fft.rfft(x, n=n) * torch.fft.rfft(s, n=n).conj()
    sxs = torch.fft.irfft(spec, n=n).index_select(-1, lags % n)  # (B, G, C, L)

    cov = sxs - sx * ss / length
    var_x = (sxx - sx * sx / length).clamp(min=0)
    var_s = (sss - ss * ss / length).clamp(min=0)

    x_const = torch.where(lags >= 0, lags > x_last[..., None], t + lags <= x_first[..., None])  # (B, G, C, L)
    s_const = torch.where(lags >= 0, t - lags <= s_first[..., None], -lags > s_last[..., None])  # (B, 1, C, L)
    defined = ~(x_const | s_const)

    denom = torch.sqrt(var_x * var_s)
    r = torch.where(defined & (denom > 0), cov / torch.where(denom > 0, denom, 1.0), 0.0)
    r = r.clamp(-1.0, 1.0)  # np.corrcoef and pearsonr clip r to [-1, 1] too
    # (B, G, L, C), contiguous: the float32 channel mean must reduce a contiguous row, as the official
    # 1-D torch.mean does (a strided reduction sums in another order and can differ in the last bit).
    return r.transpose(-1, -2).contiguous(), defined.transpose(-1, -2).contiguous()


def _offsets(x: torch.Tensor, s: torch.Tensor, protocol: str, max_lag: int = TLCC_MAX_LAG) -> torch.Tensor:
    """Kernel: ``(N, G, T, C)``, ``(N, T, C)`` float64 -> signed offsets ``(N, G)`` int64."""
    n, g, t, c = x.shape
    step = max(1, _CHUNK_ELEMENTS // (g * t * c))
    out = []
    for start in range(0, n, step):
        r, defined = _lag_correlations(x[start:start + step], s[start:start + step], max_lag)
        out.append(_choose_lag(r, defined, protocol, max_lag))
    return torch.cat(out)


def _choose_lag(r: torch.Tensor, defined: torch.Tensor, protocol: str, max_lag: int) -> torch.Tensor:
    """``(B, G, L, C)`` correlations -> offsets ``max_lag - argmax_l`` ``(B, G)``."""
    if protocol == REACT2024:
        # Official: NaN where a window is constant, float32 mean over channels, torch.argmax where the
        # first NaN wins. Spelled out (rather than relying on torch.argmax) so every device agrees.
        score = torch.where(defined, r, torch.nan).to(torch.float32).mean(dim=-1)  # (B, G, L)
        nan = score.isnan()
        lags = torch.arange(score.shape[-1], device=score.device)
        best = score.nan_to_num(nan=-torch.inf).amax(dim=-1, keepdim=True)
        first_max = torch.where(score == best, lags, score.shape[-1]).amin(dim=-1)
        first_nan = torch.where(nan, lags, score.shape[-1]).amin(dim=-1)
        index = torch.where(nan.any(dim=-1), first_nan, first_max)
        return max_lag - index
    count = defined.sum(dim=-1)  # (B, G, L)
    score = torch.where(count > 0, (r * defined).sum(dim=-1) / count.clamp(min=1), -torch.inf)
    index = score.argmax(dim=-1)  # first maximum; all -inf -> index 0 -> offset +max_lag
    return max_lag - index


def _check_tlcc_inputs(preds: Any, speaker: Any, device) -> tuple[torch.Tensor, torch.Tensor]:
    p = check_preds(preds, device=device, dtype=torch.float64)
    return p, check_speaker(speaker, p)


def lag_correlations(preds: Any, speaker: Any, *, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-lag, per-channel Pearson correlations (lags -49..49) of every generation with its speaker.

    Args:
        preds: ``(N, G, T, 25)``; speaker: ``(N, T, 25)``; T >= 51.

    Returns:
        ``r (N, G, 99, 25)`` float64 (0 where undefined) and ``defined (N, G, 99, 25)`` bool
        (False where a window of a channel is constant). Index ``a`` is lag ``a - 49``.
    """
    p, s = _check_tlcc_inputs(preds, speaker, device)
    return _lag_correlations(p, s, TLCC_MAX_LAG)


def tlcc_offsets(preds: Any, speaker: Any, *, protocol: str = REACT2024, device=None) -> torch.Tensor:
    """Signed TLCC offset of every generation against its speaker (``49 - argmax`` over the lags).

    Args:
        preds: ``(N, G, T, 25)`` generated reactions, T >= 51.
        speaker: ``(N, T, 25)`` the speaker sequence of each sample.
        protocol: ``"react2024"`` (constant windows -> NaN -> the first NaN lag wins) or
            ``"corrected"`` (constant channels left out of a lag's mean).

    Returns:
        ``(N, G)`` int64 offsets in ``[-49, 49]``; a prediction lagging the speaker by d frames gets -d.

    >>> import torch
    >>> s = torch.randn(1, 120, 25, generator=torch.Generator().manual_seed(0))
    >>> x = torch.roll(s, 3, dims=1)  # the prediction lags the speaker by 3 frames
    >>> tlcc_offsets(x[:, None], s).tolist()
    [[-3]]
    """
    check_protocol(protocol)
    p, s = _check_tlcc_inputs(preds, speaker, device)
    return _offsets(p, s, protocol)


def fr_syn(preds: Any, speaker: Any, *, protocol: str = REACT2024, reduction: str = "mean", device=None):
    """FRSyn (synchrony, lower is better): mean |TLCC offset| in frames, range ``[0, 49]``.

    react2024 scores generation 0 only (``mean_k |offset(preds[k, 0])|``, the official multiprocessing
    path); corrected averages all N x G generations.

    Args:
        preds: ``(N, G, T, 25)``; speaker: ``(N, T, 25)``; T >= 51.
        reduction: ``"mean"`` -> float; ``"none"`` -> ``(N,)`` float64 per-speaker values.

    >>> import torch
    >>> s = torch.randn(2, 120, 25, generator=torch.Generator().manual_seed(0))
    >>> fr_syn(torch.roll(s, -2, dims=1)[:, None], s)
    2.0
    """
    check_protocol(protocol)
    check_reduction(reduction)
    p, s = _check_tlcc_inputs(preds, speaker, device)
    if protocol == REACT2024:
        p = p[:, :1]
    per_speaker = _offsets(p, s, protocol).abs().to(torch.float64).mean(dim=1)
    return per_speaker if reduction == "none" else float(per_speaker.mean())
