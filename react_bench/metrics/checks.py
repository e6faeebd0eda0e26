"""Input validation for the public metric functions: one place, messages that name the fix.

Kernels trust their inputs; only the public functions call these checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from react_bench.constants import EMOTION_DIM


def as_tensor(x: Any, name: str, *, device: torch.device | str | None = None, dtype=None) -> torch.Tensor:
    """``x`` (numpy array, torch tensor or nested list) as a floating tensor on ``device``.

    ``device=None`` keeps a tensor where it is (numpy goes to the CPU).
    """
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise ValueError(f"{name} must hold numbers; got a numpy array of dtype {x.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(x))
    else:
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be a numpy array or torch tensor; got {type(x).__name__}") from error
    if t.dtype == torch.bool or not (t.is_floating_point() or t.dtype in _INT_DTYPES):
        if t.dtype != torch.bool:
            raise ValueError(f"{name} must hold numbers; got dtype {t.dtype}")
    if dtype is not None:
        t = t.to(dtype)
    elif not t.is_floating_point():
        t = t.to(torch.float32)
    if device is not None:
        t = t.to(device)
    return t


_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def check_ndim(t: torch.Tensor, name: str, shape_doc: str, ndim: int, hint: str = "") -> None:
    if t.ndim != ndim:
        extra = f" {hint}" if hint else ""
        raise ValueError(f"{name} must be {shape_doc}; got shape {tuple(t.shape)}.{extra}")


def check_channels(t: torch.Tensor, name: str, shape_doc: str, channels: int = EMOTION_DIM) -> None:
    if t.shape[-1] != channels:
        raise ValueError(
            f"{name} must have {channels} channels in its last axis ({shape_doc}); got {t.shape[-1]} "
            f"(shape {tuple(t.shape)}). Pass the 25 emotion channels (15 AU, valence, arousal, 8 expressions)."
        )


def check_finite(t: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"{name} contains {bad} NaN or Inf values; clean or impute them before scoring.")


def check_frames(t: torch.Tensor, name: str, axis: int = -2) -> None:
    if t.shape[axis] < 2:
        raise ValueError(f"{name} must have at least 2 frames (T >= 2); got T = {t.shape[axis]}.")


def check_preds(preds: Any, *, device=None, dtype=None) -> torch.Tensor:
    """``preds`` must be ``(N, G, T, 25)``, finite, T >= 2."""
    doc = "(N, G, T, 25) generated reactions"
    t = as_tensor(preds, "preds", device=device)
    check_ndim(t, "preds", doc, 4, "Did you forget the generations axis G? Use preds[:, None] for one generation."
               if t.ndim == 3 else "")
    check_channels(t, "preds", doc)
    check_frames(t, "preds")
    if t.shape[0] < 1 or t.shape[1] < 1:
        raise ValueError(f"preds must hold at least one speaker and one generation; got shape {tuple(t.shape)}.")
    check_finite(t, "preds")
    return t if dtype is None else t.to(dtype)


def check_sequences(x: Any, name: str, *, device=None, dtype=None) -> torch.Tensor:
    """``x`` must be ``(M, T, 25)`` emotion sequences, finite, T >= 2."""
    doc = f"(M, T, 25) {name} emotion sequences"
    t = as_tensor(x, name, device=device)
    check_ndim(t, name, doc, 3)
    check_channels(t, name, doc)
    check_frames(t, name)
    check_finite(t, name)
    return t if dtype is None else t.to(dtype)


def check_same_frames(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    if a.shape[-2] != b.shape[-2]:
        raise ValueError(
            f"{a_name} and {b_name} must have the same number of frames T; got {a.shape[-2]} and {b.shape[-2]}. "
            f"Cut both to the same length (the challenge uses 750 frames)."
        )


def check_appropriate(appropriate: Any, n: int, m: int, *, device=None) -> torch.Tensor:
    """``appropriate`` must be an ``(N, M)`` 0/1 matrix with at least one 1 per row; returned as bool."""
    t = as_tensor(appropriate, "appropriate", device=device)
    if t.ndim != 2 or tuple(t.shape) != (n, m):
        raise ValueError(
            f"appropriate must be an (N, M) = ({n}, {m}) matrix (speakers x targets); got shape {tuple(t.shape)}. "
            f"Use the appropriateness matrix of the same split as preds and targets."
        )
    if t.dtype != torch.bool:
        check_finite(t.float(), "appropriate")
        if not bool(((t == 0) | (t == 1)).all()):
            raise ValueError("appropriate must hold only 0 and 1; threshold or binarise it first.")
        t = t != 0
    empty = (~t.any(dim=1)).nonzero().flatten()
    if empty.numel():
        rows = ", ".join(str(int(i)) for i in empty[:10])
        raise ValueError(
            f"appropriate has {empty.numel()} empty row(s) (speaker(s) {rows}) with no appropriate reaction; "
            f"every speaker needs at least one (its own listener at least)."
        )
    return t


def check_reduction(reduction: str) -> str:
    """``reduction`` must be ``"mean"`` (a Python float) or ``"none"`` (per-speaker ``(N,)`` values)."""
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none'; got {reduction!r}.")
    return reduction
