"""Input validation for the public metric functions: every check in one place, messages that name the fix.

Kernels trust their inputs; only the public functions (and ``evaluate``, once) call these checks.
Every failure is a :class:`~react_bench.errors.BadInputError` (a ``ValueError``) whose message
names the argument, the expected shape and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from react_bench.constants import EMOTION_DIM, TLCC_MAX_LAG
from react_bench.errors import BadInputError

__all__ = [
    "MetricInputs",
    "as_tensor",
    "check_appropriate",
    "check_channels",
    "check_channels_match",
    "check_features",
    "check_finite",
    "check_frames",
    "check_metric_inputs",
    "check_min_speakers",
    "check_ndim",
    "check_preds",
    "check_reduction",
    "check_same_frames",
    "check_sequence_set",
    "check_sequences",
    "check_speaker",
    "check_speaker_count",
    "check_syn_frames",
    "check_valid_frames",
]

_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def as_tensor(x: Any, name: str, *, device: torch.device | str | None = None, dtype=None) -> torch.Tensor:
    """``x`` (numpy array, torch tensor or nested list) as a floating tensor on ``device``.

    ``device=None`` keeps a tensor where it is (numpy goes to the CPU).
    """
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise BadInputError(f"{name} must hold numbers; got a numpy array of dtype {x.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(x))
    else:
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError) as error:
            raise BadInputError(f"{name} must be a numpy array or torch tensor; got {type(x).__name__}") from error
    if t.dtype != torch.bool and not (t.is_floating_point() or t.dtype in _INT_DTYPES):
        raise BadInputError(f"{name} must hold numbers; got dtype {t.dtype}")
    if dtype is not None:
        t = t.to(dtype)
    elif not t.is_floating_point():
        t = t.to(torch.float32)
    if device is not None:
        t = t.to(device)
    return t


def check_ndim(t: torch.Tensor, name: str, shape_doc: str, ndim: int, hint: str = "") -> None:
    if t.ndim != ndim:
        extra = f" {hint}" if hint else ""
        raise BadInputError(f"{name} must be {shape_doc}; got shape {tuple(t.shape)}.{extra}")


def check_channels(t: torch.Tensor, name: str, shape_doc: str, channels: int = EMOTION_DIM) -> None:
    if t.shape[-1] != channels:
        raise BadInputError(
            f"{name} must have {channels} channels in its last axis ({shape_doc}); got {t.shape[-1]} "
            f"(shape {tuple(t.shape)}). Pass the 25 emotion channels (15 AU, valence, arousal, 8 expressions)."
        )


def check_finite(t: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise BadInputError(f"{name} contains {bad} NaN or Inf values; clean or impute them before scoring.")


def check_frames(t: torch.Tensor, name: str, axis: int = -2) -> None:
    if t.shape[axis] < 2:
        raise BadInputError(f"{name} must have at least 2 frames (T >= 2); got T = {t.shape[axis]}.")


def check_preds(preds: Any, *, device=None, dtype=None) -> torch.Tensor:
    """``preds`` must be ``(N, G, T, 25)``, finite, T >= 2."""
    doc = "(N, G, T, 25) generated reactions"
    t = as_tensor(preds, "preds", device=device)
    check_ndim(t, "preds", doc, 4, "Did you forget the generations axis G? Use preds[:, None] for one generation."
               if t.ndim == 3 else "")
    check_channels(t, "preds", doc)
    check_frames(t, "preds")
    if t.shape[0] < 1 or t.shape[1] < 1:
        raise BadInputError(f"preds must hold at least one speaker and one generation; got shape {tuple(t.shape)}.")
    check_finite(t, "preds")
    return t if dtype is None else t.to(dtype)


def check_sequences(x: Any, name: str, *, rows: str = "M", device=None, dtype=None) -> torch.Tensor:
    """``x`` must be ``(rows, T, 25)`` emotion sequences, finite, T >= 2 (``rows`` names the first axis)."""
    doc = f"({rows}, T, 25) {name} emotion sequences"
    t = as_tensor(x, name, device=device)
    check_ndim(t, name, doc, 3)
    check_channels(t, name, doc)
    check_frames(t, name)
    check_finite(t, name)
    return t if dtype is None else t.to(dtype)


def check_same_frames(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    if a.shape[-2] != b.shape[-2]:
        raise BadInputError(
            f"{a_name} and {b_name} must have the same number of frames T; got {a.shape[-2]} and {b.shape[-2]}. "
            f"Cut both to the same length (the challenge uses 750 frames)."
        )


def check_speaker_count(p: torch.Tensor, s: torch.Tensor) -> None:
    if s.shape[0] != p.shape[0]:
        raise BadInputError(
            f"speaker must hold one sequence per speaker of preds: (N, T, 25) with N = {p.shape[0]}; "
            f"got {s.shape[0]}. Pass speaker[k] for preds[k]."
        )


def check_syn_frames(p: torch.Tensor, max_lag: int = TLCC_MAX_LAG) -> None:
    if p.shape[-2] < max_lag + 2:
        raise BadInputError(
            f"FRSyn needs T >= {max_lag + 2} frames (lags up to +-{max_lag} leave windows of at "
            f"least 2 frames); got T = {p.shape[-2]}."
        )


def check_speaker(speaker: Any, p: torch.Tensor, *, max_lag: int = TLCC_MAX_LAG) -> torch.Tensor:
    """``speaker (N, T, 25)`` against validated ``preds (N, G, T, 25)``; float64 on preds' device."""
    s = check_sequences(speaker, "speaker", rows="N", device=p.device, dtype=torch.float64)
    check_same_frames(p, "preds", s, "speaker")
    check_speaker_count(p, s)
    check_syn_frames(p, max_lag)
    return s


def check_valid_frames(valid: Any, n: int, t: int, *, name: str = "valid_frames", device=None) -> torch.Tensor:
    """``valid (n,)`` whole numbers of frames in ``[2, t]`` (the rest of each sequence is padding); int64."""
    v = as_tensor(valid, name, device=device)
    if v.ndim != 1 or v.shape[0] != n:
        raise BadInputError(
            f"{name} must hold one frame count per sequence: shape ({n},); got {tuple(v.shape)}. "
            f"Use the dataset's valid_frames (MarsDataset.valid_frames), or None when nothing is padded."
        )
    if v.is_floating_point() and not bool((v == v.round()).all()):
        raise BadInputError(f"{name} must hold whole numbers of frames; got non-integer values.")
    v = v.to(torch.int64)
    bad = ((v < 2) | (v > t)).nonzero().flatten()
    if bad.numel():
        k = int(bad[0])
        raise BadInputError(
            f"{name} must lie in [2, T] = [2, {t}]; {bad.numel()} value(s) do not (first: sequence {k}, "
            f"{int(v[k])} frames). A window needs at least 2 real frames to be scored."
        )
    return v


def check_appropriate(appropriate: Any, n: int, m: int, *, device=None) -> torch.Tensor:
    """``appropriate`` must be an ``(N, M)`` 0/1 matrix with at least one 1 per row; returned as bool."""
    t = as_tensor(appropriate, "appropriate", device=device)
    if t.ndim != 2 or tuple(t.shape) != (n, m):
        raise BadInputError(
            f"appropriate must be an (N, M) = ({n}, {m}) matrix (speakers x targets); got shape {tuple(t.shape)}. "
            f"Use the appropriateness matrix of the same split as preds and targets."
        )
    if t.dtype != torch.bool:
        check_finite(t.float(), "appropriate")
        if not bool(((t == 0) | (t == 1)).all()):
            raise BadInputError("appropriate must hold only 0 and 1; threshold or binarise it first.")
        t = t != 0
    empty = (~t.any(dim=1)).nonzero().flatten()
    if empty.numel():
        rows = ", ".join(str(int(i)) for i in empty[:10])
        raise BadInputError(
            f"appropriate has {empty.numel()} empty row(s) (speaker(s) {rows}) with no appropriate reaction; "
            f"every speaker needs at least one (its own listener at least)."
        )
    return t


def check_min_speakers(p: torch.Tensor, n: int, metric: str) -> None:
    """``preds (N, G, T, 25)`` must hold at least ``n`` speakers for ``metric``."""
    if p.shape[0] < n:
        raise BadInputError(
            f"{metric} compares different speakers and needs N >= {n}; got preds of shape {tuple(p.shape)}. "
            f"Score at least {n} speaker samples."
        )


def check_reduction(reduction: str) -> str:
    """``reduction`` must be ``"mean"`` (a Python float) or ``"none"`` (per-speaker ``(N,)`` values)."""
    if reduction not in ("mean", "none"):
        raise BadInputError(f"reduction must be 'mean' or 'none'; got {reduction!r}.")
    return reduction


# --- generic sequences (DTW) and feature sets (Frechet) ------------------------------------------


def check_sequence_set(x: Any, name: str, *, ndim: int) -> torch.Tensor:
    """``x`` as ``(n, T, C)`` (``ndim=3``) or ``(T, C)`` (``ndim=2``); 1-D ``(T,)`` means one channel."""
    t = as_tensor(x, name)
    if t.ndim == ndim - 1:
        t = t.unsqueeze(-1)  # tslearn's to_time_series: a 1-D series has one channel
    if t.ndim != ndim:
        doc = "(T, C) sequence" if ndim == 2 else "(n, T, C) set of sequences"
        raise BadInputError(f"{name} must be a {doc}; got shape {tuple(t.shape)}.")
    if t.shape[-2] < 1 or t.shape[-1] < 1:
        raise BadInputError(f"{name} must have at least one frame and one channel; got shape {tuple(t.shape)}.")
    check_finite(t, name)
    return t


def check_channels_match(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise BadInputError(
            f"{a_name} and {b_name} must have the same number of channels C; got {a.shape[-1]} and "
            f"{b.shape[-1]}. DTW compares frames channel by channel."
        )


def check_features(x: Any, name: str, *, device=None) -> torch.Tensor:
    """``x`` must be ``(n, d)`` finite feature vectors with n >= 2; float64."""
    t = as_tensor(x, name, device=device, dtype=torch.float64)
    if t.ndim != 2:
        raise BadInputError(f"{name} must be (n, d) feature vectors; got shape {tuple(t.shape)}. Flatten each sample.")
    if t.shape[0] < 2:
        raise BadInputError(f"{name} must hold at least 2 samples to estimate a covariance; got {t.shape[0]}.")
    check_finite(t, name)
    return t


# --- everything evaluate needs, checked once ---------------------------------------------------


@dataclass(frozen=True)
class MetricInputs:
    """Validated inputs of the metric kernels, float64 on one device.

    Attributes:
        preds: ``(N, G, T, 25)`` generated reactions.
        targets: ``(M, T, 25)`` real listener reactions.
        speaker: ``(N, T, 25)`` speaker sequences.
        appropriate: ``(N, M)`` bool, at least one True per row.
        max_lag: FRSyn's lag range, ``-max_lag..max_lag`` (``react_bench.metrics.tlcc.tlcc_max_lag``).
        valid_frames: ``(N,)`` int64 real frames of each speaker sample (zero padding after them), or
            None when nothing is padded.
        target_valid_frames: ``(M,)`` int64 real frames of each target, or None.
    """

    preds: torch.Tensor
    targets: torch.Tensor
    speaker: torch.Tensor
    appropriate: torch.Tensor
    max_lag: int = TLCC_MAX_LAG
    valid_frames: torch.Tensor | None = None
    target_valid_frames: torch.Tensor | None = None

    @property
    def device(self) -> torch.device:
        return self.preds.device

    @property
    def padded(self) -> bool:
        """Whether some frames are padding (then ``react_bench.metrics.valid_frames`` scores them out)."""
        t = self.preds.shape[2]
        return any(v is not None and bool((v < t).any()) for v in (self.valid_frames, self.target_valid_frames))


def check_metric_inputs(preds: Any, targets: Any, speaker: Any, appropriate: Any, *, device=None,
                        max_lag: int = TLCC_MAX_LAG, valid_frames: Any = None,
                        target_valid_frames: Any = None) -> MetricInputs:
    """Validate the inputs of ``evaluate`` once; float64 tensors on ``device`` (None: preds' device).

    ``target_valid_frames`` defaults to ``valid_frames`` when there are as many targets as speakers
    (the MARS layout: target j is sample j's listener window).
    """
    p = check_preds(preds, device=device, dtype=torch.float64)
    t = check_sequences(targets, "targets", device=p.device, dtype=torch.float64)
    check_same_frames(p, "preds", t, "targets")
    a = check_appropriate(appropriate, p.shape[0], t.shape[0], device=p.device)
    s = check_speaker(speaker, p, max_lag=max_lag)
    frames = p.shape[2]
    v = None if valid_frames is None else check_valid_frames(valid_frames, p.shape[0], frames, device=p.device)
    if target_valid_frames is None and v is not None:
        if t.shape[0] != p.shape[0]:
            raise BadInputError(
                f"valid_frames is given for the {p.shape[0]} speakers but there are {t.shape[0]} targets; "
                f"pass target_valid_frames ({t.shape[0]},) too."
            )
        tv = v
    else:
        tv = None if target_valid_frames is None else check_valid_frames(
            target_valid_frames, t.shape[0], frames, name="target_valid_frames", device=p.device)
    return MetricInputs(preds=p, targets=t, speaker=s, appropriate=a, max_lag=max_lag, valid_frames=v,
                        target_valid_frames=tv)
