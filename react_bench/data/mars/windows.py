"""Cutting MARS clips into the fixed windows the official offline test scores.

``Trainer.test`` (``trainer/motion_diffusion.py``) cuts each speaker clip of L frames into
consecutive windows of ``clip_length`` = 750 frames from frame 0 and zero-pads the last one; every
window is one react-bench sample, its frames past ``valid_frames`` zeros (and never scored).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["cut_windows", "stack_windows"]


def cut_windows(lengths: list[int], window_frames: int) -> tuple[list[tuple[int, int]], np.ndarray]:
    """``(pair, start)`` of every window of clips of ``lengths`` frames, and its valid frames ``(N,)`` int64.

    >>> cut_windows([5, 2], 3)
    ([(0, 0), (0, 3), (1, 0)], array([3, 2, 2]))
    """
    windows = [(p, start) for p, length in enumerate(lengths) for start in range(0, length, window_frames)]
    valid = np.array([min(window_frames, lengths[p] - s) for p, s in windows], dtype=np.int64)
    return windows, valid


def stack_windows(windows: list[tuple[int, int]], window_frames: int, read_pair: Callable[[int], np.ndarray]) -> np.ndarray:
    """``(N, W, D)`` float32: window ``(pair, start)`` of ``read_pair(pair)`` ``(L, D)``, zero-padded to W.

    Windows of one pair are consecutive, so each pair is read once.
    """
    current, array, out = None, None, []
    for p, start in windows:
        if p != current:
            current, array = p, read_pair(p)
        piece = array[start: start + window_frames]
        out.append(np.pad(piece, ((0, window_frames - len(piece)), (0, 0))))
    return np.stack(out).astype(np.float32)
