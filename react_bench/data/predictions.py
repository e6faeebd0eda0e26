"""Predictions made elsewhere: one ``.npy`` array, or a folder of per-clip files as the official
baselines write them.

Folder format, as in reactmultimodalchallenge/baseline_react2024: ``regnn/trainers.py``
(``Trainer.test``) saves generation j of the speaker clip ``<site>/<session>/<person>/<clip>`` as
``torch.save(tensor (750, 25))`` to ``<pred-dir>/<split>/<site>/<session>/<person>/<clip>/result-{j}.pth``
for j = 0..9, and ``regnn/evaluation.py`` reads them back by the split's mirrored speaker list
(``<pred-dir>/<split>/<speaker_path>/result-{j}.pth``). ``result-{j}.npy`` is read the same way.
The main baseline (``evaluate.py``) and the 2025/2026 baselines score in memory and write no
per-clip files (2025/2026 save one ``results.pt`` list in their own walk order, without clip paths,
which cannot be put in our sample order).

A file holds ``(T', 25)`` (leading singleton axes are squeezed) with ``T' >= frames``; it is cut to
``frames`` as ``evaluate.py`` cuts to 750.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from react_bench.constants import EMOTION_DIM, NUM_GENERATIONS
from react_bench.errors import BadInputError, MissingDataError

RESULT_STEMS = "result-{j}"
"""Name of generation j's file in a clip folder (regnn/trainers.py), without the extension."""
RESULT_SUFFIXES = (".pth", ".npy")


def load_predictions(
    path: str | os.PathLike,
    speaker_clips: Sequence[str],
    frames: int,
    *,
    split: str | None = None,
    generations: int = NUM_GENERATIONS,
) -> np.ndarray:
    """``(N, G, frames, 25)`` predictions for the N speaker clips, in their order (a folder's as float32).

    ``path`` is a ``.npy`` file holding ``(N, G, T, 25)`` (T >= frames), or a prediction folder: either
    ``<pred-dir>/<split>`` itself or ``<pred-dir>`` with ``split=`` (module docstring). Raises
    FileNotFoundError naming the missing clips and files, ValueError naming a file of the wrong shape.
    """
    path = Path(path).expanduser()
    if path.is_file():
        return _from_array_file(path, len(speaker_clips), frames)
    if path.is_dir():
        folder = path / split if split is not None and (path / split).is_dir() else path
        return load_prediction_folder(folder, speaker_clips, frames, generations=generations)
    raise MissingDataError(
        f"predictions {path} not found; pass a .npy file of shape (N, {generations}, T, 25) or a folder "
        f"of <speaker clip>/result-{{0..{generations - 1}}}.pth files"
    )


def load_prediction_folder(
    folder: str | os.PathLike, speaker_clips: Sequence[str], frames: int, *, generations: int = NUM_GENERATIONS
) -> np.ndarray:
    """``(N, G, frames, 25)`` float32 from ``<folder>/<speaker clip>/result-{j}.{pth,npy}``."""
    folder = Path(folder)
    missing_clips, missing_files = [], []
    files: list[list[Path]] = []
    for clip in speaker_clips:
        clip_dir = folder / clip
        if not clip_dir.is_dir():
            missing_clips.append(clip)
            continue
        found = []
        for j in range(generations):
            candidates = [clip_dir / (RESULT_STEMS.format(j=j) + suffix) for suffix in RESULT_SUFFIXES]
            existing = [candidate for candidate in candidates if candidate.is_file()]
            if existing:
                found.append(existing[0])
            else:
                missing_files.append(candidates[0])
        files.append(found)
    if missing_clips or missing_files:
        lines = []
        if missing_clips:
            lines.append(
                f"{len(missing_clips)} of {len(speaker_clips)} speaker clips have no folder under {folder} "
                f"(e.g. {', '.join(missing_clips[:3])})"
            )
        if missing_files:
            lines.append(f"{len(missing_files)} result files are missing (e.g. {', '.join(map(str, missing_files[:3]))})")
        raise MissingDataError(
            "; ".join(lines) + f". A prediction folder holds <speaker clip>/result-{{0..{generations - 1}}}.pth "
            f"for every speaker clip of the split (as regnn/trainers.py writes them); is it the folder of this split?"
        )
    return np.stack([np.stack([_read_result(file, frames) for file in clip_files]) for clip_files in files])


def _read_result(path: Path, frames: int) -> np.ndarray:
    """``(frames, 25)`` float32 of one ``result-{j}`` file."""
    try:
        if path.suffix == ".pth":
            value = torch.load(path, map_location="cpu", weights_only=True)
            array = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        else:
            array = np.load(path, allow_pickle=False)
    except Exception as error:  # torch.load raises many kinds (UnpicklingError, RuntimeError, EOFError...)
        raise BadInputError(f"prediction file {path} is not a readable tensor ({type(error).__name__}: {error})") from None
    squeezed = array.reshape([n for n in array.shape if n != 1] or [1]) if array.ndim > 2 else array
    if squeezed.ndim != 2 or squeezed.shape[1] != EMOTION_DIM:
        raise BadInputError(f"prediction file {path} has shape {tuple(array.shape)}; expected (frames, {EMOTION_DIM})")
    if len(squeezed) < frames:
        raise BadInputError(f"prediction file {path} has {len(squeezed)} frames; expected at least {frames}")
    return np.asarray(squeezed[:frames], dtype=np.float32)


def _from_array_file(path: Path, num_samples: int, frames: int) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadInputError(f"predictions file {path} is not a readable .npy array ({error})") from None
    if array.ndim != 4 or array.shape[0] != num_samples or array.shape[3] != EMOTION_DIM:
        raise BadInputError(
            f"predictions file {path} has shape {array.shape}; expected ({num_samples}, G, T, {EMOTION_DIM}) "
            f"in the split's sample order (docs/data.md)"
        )
    if array.shape[2] < frames:
        raise BadInputError(f"predictions file {path} has {array.shape[2]} frames; expected at least {frames}")
    return array[:, :, :frames]  # as stored: float64 predictions are scored in float64
