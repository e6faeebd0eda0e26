"""A diagnostic, not a REACT metric: how smoothly consecutive windows of a generated reaction join.

A model that samples a clip window by window (ReactDiff: 50-frame latent windows, each from its own
x_T) may jump at every window boundary. :func:`window_jump_ratio` measures that: the mean
frame-to-frame change ``|x[t] - x[t-1]|`` at the boundaries (t = w, 2w, ...) over the same mean at
every other frame t >= 1. About 1 for reactions that do not care where the windows are (the real
listeners of the synthetic set: 1.06); 27 for ReactDiff's independent windows (issue 11).

It is not in :data:`react_bench.metrics.spec.METRIC_SPECS`: it is not ranked, has no direction and no
per-speaker decomposition (a ratio of two means), and ``evaluate`` does not compute it. The runner
records it in ``results.json["diagnostics"]`` (``react_bench.runner.record``) and the ablation table
shows it (``react_bench.leaderboard.ablations``). This module is its one definition.

Shapes: emotion ``(N, G, T, C)`` (N speakers x G generations x T frames x C channels, C = 25).
"""

from __future__ import annotations

import numpy as np

from react_bench.constants import FPS
from react_bench.errors import BadInputError

__all__ = ["WINDOW_FRAMES", "window_jump_ratio", "window_steps"]

WINDOW_FRAMES = 2 * FPS
"""50 frames (2 s): ReactDiff's latent window (the paper's w), the default boundary spacing."""


def _window_steps_update(emotion: np.ndarray, window: int) -> tuple[float, int, float, int]:
    # Sufficient statistics: sums of |x[t] - x[t-1]| and their counts, at boundaries and inside windows.
    # The difference is taken in the input's dtype (no float64 copy of a large (N, G, T, C) array);
    # the sums are float64.
    step = np.abs(np.diff(emotion, axis=2))  # (N, G, T - 1, C): step j is the change into frame t = j + 1
    t = np.arange(1, emotion.shape[2])
    boundary = t % window == 0  # (T - 1,)
    per_frame = step.sum(axis=(0, 1, 3), dtype=np.float64)  # (T - 1,)
    cells = emotion.shape[0] * emotion.shape[1] * emotion.shape[3]
    return (float(per_frame[boundary].sum()), int(boundary.sum()) * cells,
            float(per_frame[~boundary].sum()), int((~boundary).sum()) * cells)


def _window_steps_compute(boundary_sum: float, boundary_count: int, within_sum: float, within_count: int):
    return boundary_sum / boundary_count, within_sum / within_count


def _check(emotion, window: int) -> np.ndarray:
    x = np.asarray(emotion.detach().cpu() if hasattr(emotion, "detach") else emotion)
    if x.ndim != 4:
        hint = " Did you forget the generations axis G? Use emotion[:, None] for one generation." if x.ndim == 3 else ""
        raise BadInputError(f"emotion must be (N, G, T, C) sequences (C = 25); got {x.shape}.{hint}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if 0 in x.shape:
        raise BadInputError(f"emotion must be non-empty (N, G, T, C) sequences; got {x.shape}")
    if not isinstance(window, (int, np.integer)) or window < 2 or x.shape[2] <= window:
        raise BadInputError(
            f"window must be an integer in 2..T-1 (so that a boundary and a step inside a window exist); "
            f"got window={window!r}, T={x.shape[2]}"
        )
    if not np.isfinite(x).all():
        raise BadInputError("emotion holds NaN or inf values; the frame-to-frame change is undefined")
    return x


def window_steps(emotion, *, window: int = WINDOW_FRAMES) -> tuple[float, float]:
    """``(boundary, within)``: the mean ``|x[t] - x[t-1]|`` over speakers, generations and channels at
    window boundaries (t a positive multiple of ``window``) and at every other t >= 1.

    Args:
        emotion: ``(N, G, T, C)`` sequences, numpy or torch.
        window: frames per window; 2 <= window < T.

    >>> x = np.zeros((1, 1, 6, 1)); x[0, 0, 3:, 0] = 1.0  # one jump into frame 3
    >>> window_steps(x, window=3)
    (1.0, 0.0)
    """
    x = _check(emotion, window)
    return _window_steps_compute(*_window_steps_update(x, window))


def window_jump_ratio(emotion, window: int = WINDOW_FRAMES) -> float:
    """Boundary-to-within frame-change ratio of ``emotion`` ``(N, G, T, C)``: ``boundary / within`` of
    :func:`window_steps`.

    Raises:
        BadInputError: the shape or window is wrong, a value is not finite, or the sequences never
            change inside a window (constant reactions: the ratio is undefined; use
            :func:`window_steps` for the two means).

    >>> t = np.arange(100, dtype=float)
    >>> ramp = np.broadcast_to(t[None, None, :, None] / 100, (1, 1, 100, 25))
    >>> round(window_jump_ratio(ramp), 6)
    1.0
    >>> round(window_jump_ratio(ramp + (t[None, None, :, None] >= 50)), 2)  # a jump of 1 into frame 50
    101.0
    """
    boundary, within = window_steps(emotion, window=window)
    if within == 0:
        raise BadInputError(
            "the sequences never change inside a window, so the boundary-to-within ratio is undefined; "
            "use window_steps() for the two means"
        )
    return boundary / within
