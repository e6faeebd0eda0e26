"""Which listener reactions count as appropriate on MARS data, and the official test-time draw.

"session" (train/val): listener reaction j is appropriate for speaker k when j's listener clip is
one of the clips of k's listener role and session (the official ``gt_path_dict``), any window of
it. "test-draw" (the test split): sample k counts only its own listener plus 9 clips drawn from
that session, as ``ReactionDataset.__getitem__`` (2025) draws them.
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["NUM_EXTRA_TARGETS", "OFFICIAL_DRAW_SEED", "draw_test_targets", "official_test_draw", "window_matrix"]

NUM_EXTRA_TARGETS = 9
"""Targets drawn per test sample besides its own listener (``k_select = 9``; ``num_gts: 10``)."""
OFFICIAL_DRAW_SEED = 1234
"""``seed`` of the official configs; ``worker_init_fn`` seeds ``random`` with it (+ worker id)."""


def draw_test_targets(listener: str, session_clips: list[str], rng: random.Random) -> list[str]:
    """Own listener plus 9 drawn from the session, as ``ReactionDataset.__getitem__`` (2025) draws them.

    ``session_clips`` are all clips of the listener's role and session (the official
    ``gt_path_dict`` entry); the own clip is left out unless it is the only one.
    """
    candidates = session_clips if len(session_clips) <= 1 else [c for c in session_clips if c != listener]
    if len(candidates) >= NUM_EXTRA_TARGETS:
        drawn = rng.sample(candidates, NUM_EXTRA_TARGETS)
    else:
        drawn = rng.choices(candidates, k=NUM_EXTRA_TARGETS)
    return [listener] + drawn


def official_test_draw(listeners: list[str], session_clips: dict[str, list[str]], seed: int) -> list[list[str]]:
    """Per pair, its own listener clip then the 9 drawn ones, drawn pair by pair with ``random.Random(seed)``.

    ``listeners``: each pair's listener clip ``<role>/<session>/<stem>`` in sample order;
    ``session_clips``: ``"<role>/<session>"`` -> its clips.
    """
    rng = random.Random(seed)
    return [draw_test_targets(listener, session_clips[listener.rsplit("/", 1)[0]], rng) for listener in listeners]


def window_matrix(pair_of: np.ndarray, listeners: list[str], allowed: list[set[str]]) -> np.ndarray:
    """``(N, N)`` uint8 over windows: ``[k, j] = 1`` when the listener clip of window j's pair is in
    ``allowed`` of window k's pair. ``pair_of (N,)``: the pair of each window."""
    pairs = range(len(listeners))
    by_pair = np.array([[listeners[q] in allowed[p] for q in pairs] for p in pairs])
    return by_pair[np.ix_(pair_of, pair_of)].astype(np.uint8)
