"""The appropriateness matrix ``M (N, N)``: ``M[k, j] = 1`` when listener reaction j is an
appropriate reaction to speaker k.

Where it comes from (:func:`appropriateness_source` names it, so results can say so):

- ``"official-file"``: ``<root>/neighbour_emotion_<split>.npy`` exists; it is used as given, after
  checking it is ``(N, N)``, 0/1, with no empty row;
- ``"official-built"``: else, when ``<root>/data_indices.csv`` and
  ``<root>/Approprirate_facial_reaction.npy`` exist, the official matrix is built from them with
  ``tool/matrix_split.py``'s semantics (:mod:`react_bench.data.official_matrix`), then checked the same way;
- ``"rule"``: else it is built from the data with the rule below. Scores on a real dataset under a
  matrix built by rule do not compare with published ones.

The rule:

1. Summarise each speaker sample k by its mean valence and mean arousal over the clip:
   ``s_k = (mean_t V_k(t), mean_t A_k(t))`` (the affect a listener responds to).
2. ``d(k, j)`` = root-mean-square difference of the summaries, ``||s_k - s_j|| / sqrt(2)``,
   in valence/arousal units ([-1, 1] scale).
3. ``M[k, j] = 1`` when ``d(k, j) <= APPROPRIATENESS_THRESHOLD``: a reaction to a speaker whose
   affect was like speaker k's is appropriate for k. ``d(k, k) = 0``, so a sample's own
   listener is always appropriate and no row is empty.
4. No leak of the input: ``M[k, j] = 0`` when listener reaction j *is* speaker k's own clip
   (``j != k``). In a mirrored split, sample j = k +- N/2 has speaker k's behaviour as its
   listener reaction; rule 3 alone marks it appropriate whenever the two persons' affect was
   alike, and then copying the input (Mime) scores a perfect reaction for that speaker. Applied
   when the clip paths are known (always, from a dataset); M stays symmetric.

The rule is absolute (it does not depend on which other samples are in the split), so a pair's
entry is the same in any split that holds both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from react_bench.constants import VA_SLICE
from react_bench.data.official_matrix import build_official_matrix, has_official_sources
from react_bench.errors import BadInputError

APPROPRIATENESS_THRESHOLD = 0.12
"""RMS valence/arousal distance at or below which two speaker behaviours count as alike (step 3).
Chosen so that the default synthetic val/test splits (N = 60) got about 4 to 6 appropriate
reactions per speaker on average (generator v1; v2 gives 4.9 / 6.4). A synthetic split with extra
true reactions does not use the rule (``ReactDataset.appropriateness``); see docs/data.md."""


def official_file(root: str | os.PathLike, split: str) -> Path:
    return Path(root) / f"neighbour_emotion_{split}.npy"


def behaviour_summary(speaker_emotion: np.ndarray) -> np.ndarray:
    """``(N, 2)`` mean valence and arousal of ``(N, T, 25)`` speaker emotion."""
    return np.asarray(speaker_emotion, dtype=np.float64)[..., VA_SLICE].mean(axis=1)


def build_appropriateness(
    speaker_emotion: np.ndarray,
    *,
    threshold: float = APPROPRIATENESS_THRESHOLD,
    speaker_clips: Sequence[str] | None = None,
    listener_clips: Sequence[str] | None = None,
) -> np.ndarray:
    """``(N, N)`` uint8 matrix from ``(N, T, 25)`` speaker emotion by the rule of the module docstring.

    ``speaker_clips``/``listener_clips`` (N clip paths each, as ``ReactDataset.clip_paths``) turn on
    rule 4: a listener reaction that is speaker k's own clip is not appropriate for k.
    """
    summary = behaviour_summary(speaker_emotion)  # (N, 2)
    squared = ((summary[:, None, :] - summary[None, :, :]) ** 2).mean(axis=-1)  # (N, N)
    matrix = (np.sqrt(squared) <= threshold).astype(np.uint8)
    if (speaker_clips is None) != (listener_clips is None):
        raise BadInputError("pass both speaker_clips and listener_clips (rule 4 compares them), or neither")
    if speaker_clips is not None:
        if not len(speaker_clips) == len(listener_clips) == len(matrix):
            raise BadInputError(
                f"speaker_clips and listener_clips must hold one path per sample ({len(matrix)}); "
                f"got {len(speaker_clips)} and {len(listener_clips)}"
            )
        matrix[np.asarray(speaker_clips, dtype=object)[:, None] == np.asarray(listener_clips, dtype=object)[None, :]] = 0
    np.fill_diagonal(matrix, 1)
    return matrix


def validate_appropriateness(matrix: np.ndarray, num_samples: int, *, source: str) -> np.ndarray:
    """``matrix`` as ``(N, N)`` uint8 after checking shape, 0/1 values and no empty row; ValueError naming ``source``."""
    matrix = np.asarray(matrix)
    if matrix.shape != (num_samples, num_samples):
        raise BadInputError(
            f"appropriateness matrix {source} has shape {matrix.shape}; expected ({num_samples}, {num_samples}) "
            f"for a split of {num_samples} samples (2 x the dyads of the split CSV). Is it the file of another split?"
        )
    if not np.issubdtype(matrix.dtype, np.number) and matrix.dtype != bool:
        raise BadInputError(f"appropriateness matrix {source} holds {matrix.dtype} values; expected 0/1 numbers")
    if not np.isin(matrix, (0, 1)).all():
        bad = np.unique(matrix[~np.isin(matrix, (0, 1))])[:5]
        raise BadInputError(f"appropriateness matrix {source} must hold only 0 and 1; found {bad.tolist()}")
    empty = np.flatnonzero(matrix.sum(axis=1) == 0)
    if len(empty):
        raise BadInputError(
            f"appropriateness matrix {source} has {len(empty)} empty rows (speakers {empty[:5].tolist()}...); "
            f"every speaker needs at least one appropriate reaction"
        )
    return matrix.astype(np.uint8)


MATRIX_SOURCES = ("official-file", "official-built", "rule")
"""Where a split's matrix comes from, in the order they are tried (module docstring)."""


def appropriateness_source(root: str | os.PathLike, split: str) -> str:
    """Which of :data:`MATRIX_SOURCES` :func:`load_or_build_appropriateness` uses for ``split`` under ``root``."""
    if official_file(root, split).is_file():
        return "official-file"
    if has_official_sources(root):
        return "official-built"
    return "rule"


def load_appropriateness(
    root: str | os.PathLike,
    split: str,
    speaker_emotion: np.ndarray,
    *,
    speaker_clips: Sequence[str] | None = None,
    listener_clips: Sequence[str] | None = None,
) -> tuple[np.ndarray, str]:
    """``((N, N) uint8 matrix, source)`` of ``split``, ``source`` one of :data:`MATRIX_SOURCES`.

    ``speaker_emotion`` is ``(N, T, 25)``; it and the clip paths are used only by the rule.
    """
    source = appropriateness_source(root, split)
    if source == "official-file":
        path = official_file(root, split)
        try:
            matrix = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise BadInputError(f"appropriateness matrix {path} is not a readable .npy array ({error})") from None
        return validate_appropriateness(matrix, len(speaker_emotion), source=str(path)), source
    if source == "official-built":
        matrix = build_official_matrix(root, split)
        built_from = f"built from {Path(root) / 'data_indices.csv'} and the all-data matrix"
        return validate_appropriateness(matrix, len(speaker_emotion), source=built_from), source
    matrix = build_appropriateness(speaker_emotion, speaker_clips=speaker_clips, listener_clips=listener_clips)
    return matrix, source


def load_or_build_appropriateness(
    root: str | os.PathLike,
    split: str,
    speaker_emotion: np.ndarray,
    *,
    speaker_clips: Sequence[str] | None = None,
    listener_clips: Sequence[str] | None = None,
) -> np.ndarray:
    """The ``(N, N)`` uint8 matrix of :func:`load_appropriateness`, without its source."""
    matrix, _ = load_appropriateness(
        root, split, speaker_emotion, speaker_clips=speaker_clips, listener_clips=listener_clips
    )
    return matrix
