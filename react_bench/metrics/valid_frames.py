"""Metrics of sequences that are zero-padded past their valid frames (the last window of a MARS clip).

The official REACT2025/2026 test never scores padding: ``Trainer.test`` (``trainer/motion_diffusion.py``
of baseline_react2025 and baseline_react2026) zero-pads the last 750-frame window of a speaker clip,
predicts every window, concatenates them and keeps ``[:, :clip_length]`` (the clip's real length)
before ``compute_metrics`` sees anything. react-bench scores windows, so it leaves the padding out
of every metric instead (``evaluate(..., valid_frames=)``); with no padding the metric kernels run
as they are and the numbers do not change. Shapes: preds ``(N, G, T, 25)``, ``valid_frames (N,)``,
targets ``(M, T, 25)``, ``target_valid_frames (M,)``; frames ``t >= valid`` are padding.

- FRSyn: the TLCC kernel takes the lengths itself (``tlcc._lag_correlations``: lag l pairs
  ``x[l:v]`` with ``s[:v-l]``).
- FRCorr, FRDist, FREnergy, FRDiv, FRVar: speakers with the same valid length v are scored together
  on their first v frames. A prediction of v frames is compared with the first v frames of each
  appropriate target that has at least v real frames (shorter targets would put their padding into
  the comparison, so they leave that row; a MARS sample's own listener window always has exactly v).
- FRDvs: every (speaker pair, frame) where both are real, same generation index; speaker k's value
  is the mean squared difference over its pairs and frames (all T frames: the usual FRDvs share).
- FRRea: the 1 s window features of each sequence are taken from its real frames only.
"""

from __future__ import annotations

import torch

from react_bench.errors import BadInputError
from react_bench.metrics.checks import MetricInputs
from react_bench.metrics.frechet import frechet_of_sets
from react_bench.metrics.realism import reaction_window_features

__all__ = ["padded_kernel"]


def padded_kernel(spec, inputs: MetricInputs, protocol: str):
    """``spec``'s value on ``inputs`` with every padded frame left out: ``(N,)`` per-speaker values, a
    float (FRRea) or None (FRDvs at N = 1)."""
    if spec.name == "FRSyn":
        return spec.kernel(inputs, protocol)  # valid lengths go to the TLCC kernel
    if spec.name == "FRDvs":
        return _fr_dvs_valid(inputs.preds, _lengths(inputs)[0]) if inputs.preds.shape[0] >= 2 else None
    if spec.name == "FRRea":
        return _fr_rea_valid(inputs)
    if spec.across_speakers:  # pragma: no cover - a new cross-speaker metric needs its own rule here
        raise BadInputError(f"{spec.name} has no rule for padded frames yet; add one to metrics/valid_frames.py")
    return _by_length(spec, inputs, protocol)


def _lengths(inputs: MetricInputs) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N,)`` and ``(M,)`` valid lengths (T where not given)."""
    n, _, t, _ = inputs.preds.shape
    full = torch.full((n,), t, dtype=torch.int64, device=inputs.device)
    v = inputs.valid_frames if inputs.valid_frames is not None else full
    tv = inputs.target_valid_frames
    if tv is None:
        tv = torch.full((inputs.targets.shape[0],), t, dtype=torch.int64, device=inputs.device)
    return v, tv


def _by_length(spec, inputs: MetricInputs, protocol: str) -> torch.Tensor:
    """Per-speaker ``(N,)`` values of a kernel that sees speaker k's and its targets' first ``v_k``
    frames, one call per distinct length."""
    v, tv = _lengths(inputs)
    out = torch.empty(v.shape[0], dtype=torch.float64, device=inputs.device)
    for length in torch.unique(v).tolist():
        rows = (v == length).nonzero().flatten()
        appropriate = inputs.appropriate[rows] & (tv >= length)[None, :]  # (n, M)
        empty = (~appropriate.any(dim=1)).nonzero().flatten()
        if empty.numel():
            k = int(rows[empty[0]])
            raise BadInputError(
                f"speaker {k} has {length} valid frames but none of its appropriate targets has that many "
                f"real frames; its predictions cannot be compared without scoring padding. Check valid_frames "
                f"and target_valid_frames (a sample's own listener window has as many real frames as its speaker)."
            )
        sub = MetricInputs(preds=inputs.preds[rows, :, :length], targets=inputs.targets[:, :length],
                           speaker=inputs.speaker[rows, :length], appropriate=appropriate, max_lag=inputs.max_lag)
        out[rows] = torch.as_tensor(spec.kernel(sub, protocol), dtype=torch.float64, device=inputs.device)
    return out


def _fr_dvs_valid(p: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``(N, G, T, C)``, ``(N,)`` -> ``(N,)``: speaker k's mean of ``||p_kit - p_k'it||^2 / C`` over the
    generations i and the (k' != k, frame t) where both are real. With no padding this is
    ``_fr_dvs_per_speaker``'s share: ``sum_i sum_k' ||p_ki - p_k'i||^2 / ((N-1) G T C)``."""
    _, g, t, c = p.shape
    real = (torch.arange(t, device=p.device)[None, :] < v[:, None]).to(p.dtype)  # (N, T)
    count = real.sum(dim=0)  # (T,) speakers real at frame t
    mean = (p * real[:, None, :, None]).sum(dim=0) / count.clamp(min=1)[None, :, None]  # (G, T, C)
    own = (p - mean).square().sum(dim=-1) * real[:, None, :]  # (N, G, T) ||p_kit - mean_it||^2, real only
    # sum_{k' real at t} ||p_kit - p_k'it||^2 = n_t ||p_kit - mean_it||^2 + sum_{k'} ||p_k'it - mean_it||^2
    to_all = (count[None, None, :] * own + own.sum(dim=0, keepdim=True)) * real[:, None, :]  # (N, G, T)
    pairs = (real * (count - 1)[None, :]).sum(dim=1)  # (N,) (k', t) pairs of speaker k
    return to_all.sum(dim=(1, 2)) / (pairs * g * c)


def _features_valid(seqs: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``reaction_window_features`` of each ``(B, T, C)`` sequence on its first ``v (B,)`` frames."""
    parts = [reaction_window_features(seqs[v == length, :length]) for length in torch.unique(v).tolist()]
    return torch.cat(parts)


def _fr_rea_valid(inputs: MetricInputs) -> float:
    """FRRea (``realism._fr_rea``) with the window features taken from real frames only."""
    v, tv = _lengths(inputs)
    real = _features_valid(inputs.targets, tv)
    fake = _features_valid(inputs.preds[:, 0], v)
    if real.shape[0] < 2 or fake.shape[0] < 2:
        raise BadInputError(
            f"FRRea needs at least 2 feature windows per side; got {real.shape[0]} real and "
            f"{fake.shape[0]} generated. Score more speakers or longer sequences."
        )
    return frechet_of_sets(real, fake)
