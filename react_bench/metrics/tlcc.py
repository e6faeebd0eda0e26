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

The lag range: ``max_lag`` = 49 (``TLCC_MAX_LAG``) under react2024 whatever the frame rate, because the
official code does so on every dataset: ``calculate_tlcc(pred, sp, seconds=2, fps=25)`` in
baseline_react2026 ``framework/metrics/TLCC.py`` is called without ``fps`` by ``compute_TLCC``
(baseline_react2025 ``framework/utils/compute_metrics.py`` and baseline_react2026
``framework/utils/baseline_reaction_metrics.py`` pass only ``p=``), also on 30 fps MARS data. Under
corrected, or with an explicit ``max_lag=``, react-bench searches about 2 s at the data's frame rate:
``round(2 fps) - 1`` lags each way (:func:`lag_range`: 49 at 25 fps, 59 at 30 fps).

Valid frames: ``valid_frames (N,)`` scores sample k on its first ``valid_frames[k]`` frames only (a
MARS window zero-padded past the end of its clip). Lag l then pairs ``x[l:v]`` with ``s[:v-l]``; a
lag whose overlap is shorter than 2 frames has no defined correlation (treated like a constant window).
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.constants import FPS, TLCC_MAX_LAG
from react_bench.errors import BadInputError
from react_bench.metrics.checks import (
    check_preds,
    check_reduction,
    check_speaker,
    check_valid_frames,
)
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["TLCC_SECONDS", "fr_syn", "lag_correlations", "lag_range", "tlcc_max_lag", "tlcc_offsets"]

TLCC_SECONDS = 2
"""FRSyn searches lags of up to about this many seconds each way (the official ``seconds=2``)."""


def lag_range(fps: float) -> int:
    """Lags searched each way for about ``TLCC_SECONDS`` at ``fps``: ``round(2 fps) - 1``.

    The official lag list ``range(-int(seconds * fps - 1), int(seconds * fps))`` at its fixed 25 fps.

    >>> lag_range(25), lag_range(30)
    (49, 59)
    """
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise BadInputError(f"fps must be a positive number of frames per second; got {fps!r}.")
    return max(1, round(TLCC_SECONDS * fps) - 1)


def tlcc_max_lag(protocol: str = REACT2024, *, fps: float | None = None, max_lag: int | None = None) -> int:
    """The lag range FRSyn searches: ``max_lag`` if given; else 49 under react2024 (the official code's
    fixed ``fps=25`` on every dataset); else ``lag_range(fps)`` (``fps`` defaults to 25).

    >>> tlcc_max_lag("react2024", fps=30), tlcc_max_lag("corrected", fps=30), tlcc_max_lag("corrected")
    (49, 59, 49)
    """
    check_protocol(protocol)
    if max_lag is not None:
        if isinstance(max_lag, bool) or not isinstance(max_lag, int) or max_lag < 1:
            raise BadInputError(f"max_lag must be a positive int (lags -max_lag..max_lag); got {max_lag!r}.")
        return max_lag
    if fps is not None:
        lag_range(fps)  # validates fps under either protocol
    if protocol == REACT2024:
        return TLCC_MAX_LAG
    return lag_range(FPS if fps is None else fps)

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


def _bounds(lags: torch.Tensor, length) -> tuple[torch.Tensor, ...]:
    """Window ``[start, end)`` of x and of s at each lag for sequences of ``length`` frames (an int, or
    ``(B, 1, 1, 1)`` per-sample lengths); windows at ``|lag| >= length`` are empty."""
    if isinstance(length, int):
        x_start, x_end = lags.clamp(min=0), length + lags.clamp(max=0)
        s_start, s_end = (-lags).clamp(min=0), length - lags.clamp(min=0)
        return x_start, x_end, s_start, s_end
    x_start = torch.minimum(lags.clamp(min=0), length)  # (B, 1, 1, L)
    s_start = torch.minimum((-lags).clamp(min=0), length)
    x_end = torch.maximum(length + lags.clamp(max=0), x_start)
    s_end = torch.maximum(length - lags.clamp(min=0), s_start)
    return x_start, x_end, s_start, s_end


def _gather_sums(prefix: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """``sum x[start:end]`` from prefix sums ``(B, G, C, T + 1)`` and per-sample bounds ``(B, 1, 1, L)``."""
    shape = (*prefix.shape[:-1], start.shape[-1])
    return prefix.gather(-1, end.expand(shape)) - prefix.gather(-1, start.expand(shape))


def _first_last_change_valid(x: torch.Tensor, length: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``_first_last_change`` of ``x (B, G, C, T)`` on its first ``length (B, 1, 1, 1)`` frames only."""
    t = x.shape[-1]
    frames = torch.arange(t, device=x.device)
    valid = frames < length  # (B, 1, 1, T)
    at_last = x.gather(-1, (length - 1).expand(*x.shape[:-1], 1))  # (B, G, C, 1): frame length - 1
    first = torch.where((x != x[..., :1]) & valid, frames, length).amin(dim=-1)
    last = torch.where((x != at_last) & valid, frames, -1).amax(dim=-1)
    return first, last


def _centred_valid(x: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """``x (B, G, C, T)`` minus its mean over the first ``length`` frames, zero past them."""
    valid = torch.arange(x.shape[-1], device=x.device) < length
    mean = torch.where(valid, x, 0.0).sum(dim=-1, keepdim=True) / length
    return torch.where(valid, x - mean, 0.0)


def _lag_correlations(x: torch.Tensor, s: torch.Tensor, max_lag: int,
                      lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Kernel. ``x (B, G, T, C)``, ``s (B, T, C)`` float64 -> Pearson ``r (B, G, L, C)`` for the
    L = 2 max_lag + 1 lags ``-max_lag..max_lag`` (NaN-free) and ``defined (B, G, L, C)`` (False where
    a window is constant or shorter than 2 frames). ``lengths (B,)`` int64: score sample b on its first
    ``lengths[b]`` frames only (None: all T)."""
    t = x.shape[-2]
    dev = x.device
    x = x.transpose(-1, -2).contiguous()  # (B, G, C, T): time last for cumsum and FFT
    s = s.transpose(-1, -2).contiguous()[:, None]  # (B, 1, C, T)
    lags = torch.arange(-max_lag, max_lag + 1, device=dev)  # (L,)
    if lengths is None:
        length = t
        x_first, x_last = _first_last_change(x)  # (B, G, C), on the raw values: exact
        s_first, s_last = _first_last_change(s)  # (B, 1, C)
        x = x - x.mean(dim=-1, keepdim=True)
        s = s - s.mean(dim=-1, keepdim=True)
        sums = _window_sums
    else:
        length = lengths.to(dev).reshape(-1, 1, 1, 1)  # (B, 1, 1, 1)
        x_first, x_last = _first_last_change_valid(x, length)
        s_first, s_last = _first_last_change_valid(s, length)
        x, s = _centred_valid(x, length), _centred_valid(s, length)  # zero past the valid frames
        sums = _gather_sums
    x_start, x_end, s_start, s_end = _bounds(lags, length)
    size = (x_end - x_start).clamp(min=1).to(x.dtype)  # (L,) or (B, 1, 1, L); empty windows are undefined

    sx = sums(_prefix(x), x_start, x_end)  # (B, G, C, L)
    sxx = sums(_prefix(x * x), x_start, x_end)
    ss = sums(_prefix(s), s_start, s_end)  # (B, 1, C, L)
    sss = sums(_prefix(s * s), s_start, s_end)

    # Cross sums sum_t x[t + l] s[t]: circular cross-correlation, zero-padded to n >= T + max_lag (the
    # frames past a sample's valid length are zeros, so they add nothing).
    n = _fft_size(t + max_lag)
    spec = torch.fft.rfft(x, n=n) * torch.fft.rfft(s, n=n).conj()
    sxs = torch.fft.irfft(spec, n=n).index_select(-1, lags % n)  # (B, G, C, L)

    cov = sxs - sx * ss / size
    var_x = (sxx - sx * sx / size).clamp(min=0)
    var_s = (sss - ss * ss / size).clamp(min=0)

    x_first, x_last, s_first, s_last = (v[..., None] for v in (x_first, x_last, s_first, s_last))
    end = length  # T, or (B, 1, 1, 1) that broadcasts against the lags
    x_const = torch.where(lags >= 0, lags > x_last, end + lags <= x_first)  # (B, G, C, L)
    s_const = torch.where(lags >= 0, end - lags <= s_first, -lags > s_last)  # (B, 1, C, L)
    defined = ~(x_const | s_const)

    denom = torch.sqrt(var_x * var_s)
    r = torch.where(defined & (denom > 0), cov / torch.where(denom > 0, denom, 1.0), 0.0)
    r = r.clamp(-1.0, 1.0)  # np.corrcoef and pearsonr clip r to [-1, 1] too
    # (B, G, L, C), contiguous: the float32 channel mean must reduce a contiguous row, as the official
    # 1-D torch.mean does (a strided reduction sums in another order and can differ in the last bit).
    return r.transpose(-1, -2).contiguous(), defined.transpose(-1, -2).contiguous()


def _offsets(x: torch.Tensor, s: torch.Tensor, protocol: str, max_lag: int = TLCC_MAX_LAG,
             lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Kernel: ``(N, G, T, C)``, ``(N, T, C)`` float64 (and valid ``lengths (N,)`` or None) -> signed
    offsets ``(N, G)`` int64."""
    n, g, t, c = x.shape
    step = max(1, _CHUNK_ELEMENTS // (g * t * c))
    out = []
    for start in range(0, n, step):
        rows = slice(start, start + step)
        r, defined = _lag_correlations(x[rows], s[rows], max_lag, None if lengths is None else lengths[rows])
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


def _check_tlcc_inputs(preds: Any, speaker: Any, device, max_lag: int, valid_frames: Any = None):
    """Validated ``preds (N, G, T, 25)``, ``speaker (N, T, 25)`` float64 and ``valid_frames (N,)`` int64 or None."""
    p = check_preds(preds, device=device, dtype=torch.float64)
    s = check_speaker(speaker, p, max_lag=max_lag)
    v = None if valid_frames is None else check_valid_frames(valid_frames, p.shape[0], p.shape[2], device=p.device)
    return p, s, v


def lag_correlations(preds: Any, speaker: Any, *, max_lag: int = TLCC_MAX_LAG, valid_frames: Any = None,
                     device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-lag, per-channel Pearson correlations (lags ``-max_lag..max_lag``) of every generation with its speaker.

    Args:
        preds: ``(N, G, T, 25)``; speaker: ``(N, T, 25)``; T >= max_lag + 2.
        max_lag: lags searched each way (49: the official range; ``lag_range(fps)`` for another frame rate).
        valid_frames: ``(N,)`` frames of each sample to score (the rest is padding), or None for all T.

    Returns:
        ``r (N, G, L, 25)`` float64 (0 where undefined) and ``defined (N, G, L, 25)`` bool (False
        where a window of a channel is constant), ``L = 2 max_lag + 1``. Index ``a`` is lag ``a - max_lag``.
    """
    max_lag = tlcc_max_lag(max_lag=max_lag)
    p, s, v = _check_tlcc_inputs(preds, speaker, device, max_lag, valid_frames)
    return _lag_correlations(p, s, max_lag, v)


def tlcc_offsets(preds: Any, speaker: Any, *, protocol: str = REACT2024, max_lag: int | None = None,
                 fps: float | None = None, valid_frames: Any = None, device=None) -> torch.Tensor:
    """Signed TLCC offset of every generation against its speaker (``max_lag - argmax`` over the lags).

    Args:
        preds: ``(N, G, T, 25)`` generated reactions, T >= max_lag + 2.
        speaker: ``(N, T, 25)`` the speaker sequence of each sample.
        protocol: ``"react2024"`` (constant windows -> NaN -> the first NaN lag wins) or
            ``"corrected"`` (constant channels left out of a lag's mean).
        max_lag, fps: the lag range, as :func:`tlcc_max_lag` chooses it (default 49: the official one;
            corrected with ``fps=30``: 59).
        valid_frames: ``(N,)`` frames of each sample to score (padding after them is ignored), or None.

    Returns:
        ``(N, G)`` int64 offsets in ``[-max_lag, max_lag]``; a prediction lagging the speaker by d frames
        gets -d.

    >>> import torch
    >>> s = torch.randn(1, 120, 25, generator=torch.Generator().manual_seed(0))
    >>> x = torch.roll(s, 3, dims=1)  # the prediction lags the speaker by 3 frames
    >>> tlcc_offsets(x[:, None], s).tolist()
    [[-3]]
    """
    max_lag = tlcc_max_lag(protocol, fps=fps, max_lag=max_lag)
    p, s, v = _check_tlcc_inputs(preds, speaker, device, max_lag, valid_frames)
    return _offsets(p, s, protocol, max_lag, v)


def fr_syn(preds: Any, speaker: Any, *, protocol: str = REACT2024, reduction: str = "mean",
           max_lag: int | None = None, fps: float | None = None, valid_frames: Any = None, device=None):
    """FRSyn (synchrony, lower is better): mean |TLCC offset| in frames, range ``[0, max_lag]``.

    react2024 scores generation 0 only (``mean_k |offset(preds[k, 0])|``, the official multiprocessing
    path); corrected averages all N x G generations.

    Args:
        preds: ``(N, G, T, 25)``; speaker: ``(N, T, 25)``; T >= max_lag + 2.
        reduction: ``"mean"`` -> float; ``"none"`` -> ``(N,)`` float64 per-speaker values.
        max_lag, fps, valid_frames: as :func:`tlcc_offsets`.

    >>> import torch
    >>> s = torch.randn(2, 120, 25, generator=torch.Generator().manual_seed(0))
    >>> fr_syn(torch.roll(s, -2, dims=1)[:, None], s)
    2.0
    """
    check_reduction(reduction)
    max_lag = tlcc_max_lag(protocol, fps=fps, max_lag=max_lag)
    p, s, v = _check_tlcc_inputs(preds, speaker, device, max_lag, valid_frames)
    if protocol == REACT2024:
        p = p[:, :1]
    per_speaker = _offsets(p, s, protocol, max_lag, v).abs().to(torch.float64).mean(dim=1)
    return per_speaker if reduction == "none" else float(per_speaker.mean())
