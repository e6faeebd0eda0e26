"""Extra true reactions of the synthetic dataset: R more draws of a sample's listener.

For every val/test sample of a synthetic dataset, the generator stores R (:data:`EXTRA_REACTIONS`)
more reactions drawn from the true process for that exact input: the same speaker clip, the same
listener person (traits), the same shared turn schedule and underlying affect, new private noise.

File: ``<root>/<split>/Extra_reactions/<listener clip>.npz``, keyed by the SAMPLE's listener clip.
A clip is the listener of one sample and the speaker of the mirrored one; its file holds reactions
*to its partner's clip* (the speaker of the sample in which it listens). Arrays (``np.savez_compressed``):

- ``au``: ``(R, 751, 15)`` uint8, the 15 binary AU occurrences;
- ``affect``: ``(R, 751, 10)`` float16, valence, arousal and the 8 expression probabilities.

:func:`read_extra_reactions` joins them into ``(R, 751, 25)`` float32 in the emotion channel order.
(The two arrays keep the medium dataset under 500 MB: binary AUs compress to almost nothing.)
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from react_bench.constants import AU_SLICE, EMOTION_DIM, NUM_AU
from react_bench.errors import BadInputError, MissingDataError

EXTRA_REACTIONS = 10
"""R, extra true reactions per val/test sample in the default synthetic dataset."""

EXTRA_REACTIONS_DIR = "Extra_reactions"
"""Folder of the extra reactions under ``<root>/<split>/``."""

_EXT = ".npz"


def extra_reactions_file(root: str | os.PathLike, split: str, listener_clip: str) -> Path:
    """Path of the extra reactions of the sample whose listener is ``listener_clip`` (``<site>/<session>/<person>/<clip>``)."""
    return Path(root) / split / EXTRA_REACTIONS_DIR / (listener_clip + _EXT)


def write_extra_reactions(root: str | os.PathLike, split: str, listener_clip: str, emotion: np.ndarray) -> Path:
    """Store ``emotion (R, F, 25)`` (AUs 0/1) as the extra reactions of ``listener_clip``; return the path."""
    emotion = np.asarray(emotion)
    path = extra_reactions_file(root, split, listener_clip)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, au=np.round(emotion[..., AU_SLICE]).astype(np.uint8), affect=emotion[..., NUM_AU:].astype(np.float16)
    )
    path.write_bytes(buffer.getvalue())
    return path


def read_extra_reactions(root: str | os.PathLike, split: str, listener_clip: str) -> np.ndarray:
    """``(R, F, 25)`` float32 extra reactions of the sample whose listener is ``listener_clip`` (F = 751 as stored).

    Raises MissingDataError / BadInputError (FileNotFoundError / ValueError) naming the file when it is missing or cannot be read as two
    arrays of matching ``(R, F)``; content checks (NaN, shape against the dataset) are in ``data check``.
    """
    path = extra_reactions_file(root, split, listener_clip)
    if not path.is_file():
        raise MissingDataError(
            f"extra reactions {path} not found; every val/test sample of a synthetic dataset has one "
            f"(regenerate the dataset with `react-bench data synth`)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            au, affect = archive["au"], archive["affect"]
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise BadInputError(f"extra reactions {path} is not a readable .npz with arrays 'au' and 'affect' ({error})") from None
    if au.ndim != 3 or affect.ndim != 3 or au.shape[:2] != affect.shape[:2] or au.shape[2] + affect.shape[2] != EMOTION_DIM:
        raise BadInputError(
            f"extra reactions {path} has arrays au {au.shape} and affect {affect.shape}; expected (R, F, {NUM_AU}) "
            f"and (R, F, {EMOTION_DIM - NUM_AU})"
        )
    return np.concatenate([au.astype(np.float32), affect.astype(np.float32)], axis=-1)
