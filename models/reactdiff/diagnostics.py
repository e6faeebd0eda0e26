"""Diagnostics of generated reactions: how smoothly consecutive latent windows join.

ReactDiff samples a clip window by window (``window`` frames, 2 s). If nothing joins the windows,
the reaction jumps at every window boundary. :func:`window_jump_ratio` measures that: the mean
frame-to-frame change at the boundaries over the mean change everywhere else (real listeners of
the synthetic set: about 1.1; independent windows: 27 before ``window_chain``).

>>> import numpy as np
>>> t = np.arange(100, dtype=float)
>>> smooth = np.broadcast_to(t[None, None, :, None] / 100, (1, 1, 100, 25))
>>> round(window_jump_ratio(smooth), 6)
1.0
>>> stepped = smooth + (t[None, None, :, None] >= 50)  # a jump of 1 at frame 50
>>> round(window_jump_ratio(stepped), 2)
101.0
"""

from __future__ import annotations

import numpy as np

from react_bench.constants import EMOTION_DIM
from react_bench.errors import BadInputError

from .config import SMALL


def window_jump_ratio(emotion, window: int = SMALL.window) -> float:
    """Mean ``|x[t] - x[t-1]|`` over the channels at window starts (t = window, 2 window, ...) divided by
    the same mean at every other t > 0.

    Args:
        emotion: ``(N, G, T, 25)`` emotion sequences (N speakers x G generations), numpy or torch.
        window: frames per window (ReactDiff's ``window``, 50 = 2 s).

    Returns:
        The ratio; 1 when boundaries are no different from the rest, much larger when windows jump.
    """
    x = np.asarray(emotion.detach().cpu() if hasattr(emotion, "detach") else emotion, dtype=np.float64)
    if x.ndim != 4 or x.shape[-1] != EMOTION_DIM:
        hint = " Did you forget the generations axis G? Use emotion[:, None] for one generation." if x.ndim == 3 else ""
        raise BadInputError(f"emotion must be (N, G, T, {EMOTION_DIM}) sequences; got {x.shape}.{hint}")
    if window < 2 or x.shape[2] <= window:
        raise BadInputError(f"window must be in 2..T-1 so that a boundary exists; got window={window}, T={x.shape[2]}")
    change = np.abs(np.diff(x, axis=2)).mean(axis=(0, 1, 3))  # (T - 1,): change into frame t = 1..T-1
    t = np.arange(1, x.shape[2])
    boundary = t % window == 0
    within = change[~boundary].mean()
    if within == 0:
        raise BadInputError("the sequences never change inside a window: the ratio is undefined")
    return float(change[boundary].mean() / within)
