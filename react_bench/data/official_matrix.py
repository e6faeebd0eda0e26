"""The official REACT2024 per-split appropriateness matrices, built from the release's all-data files.

The release ships ``<root>/data_indices.csv`` (header ``site,chat_index,clip_index``, one row per
clip of the whole corpus, 4307 rows) and ``<root>/Approprirate_facial_reaction.npy`` (sic), an
``(2 R, 2 R)`` matrix over all R clips in mirrored blocks: index ``i < R`` is clip i as speaker,
``i + R`` the same clip with the roles swapped. The per-split ``neighbour_emotion_{split}.npy``
that the official metrics read are cut from it by ``tool/matrix_split.py`` in
reactmultimodalchallenge/baseline_react2024; :func:`build_official_matrix` does the same:

1. ``data_indices.csv`` is read with ``header=None`` and its first row dropped, so data row r
   (0-based) is all-data index r; fields are compared as the strings they are in the file.
2. For split row k, column 1 (the speaker clip ``<site>/<session>/<person>/<clip>``) gives the key
   ``SITE.upper()/<session>/<clip>`` (the person folder is not part of it); a 5-part UDIVA path
   ``<site>/<task>/<session>/<person>/<clip>`` gives ``SITE.upper()/<session>_<task>/<clip>``.
   A data row matches when ``site.upper()/chat_index/clip_index`` equals the key (only the site is
   upper-cased on that side too).
3. With ``idx[k]`` the matched all-data index of row k (D rows, R = all-data size // 2), the split
   matrix is ``(2 D, 2 D)`` float64 with blocks ``[k, j] = A[idx_k, idx_j]``,
   ``[k, j + D] = A[idx_k, idx_j + R]``, ``[k + D, j] = A[idx_k + R, idx_j]``,
   ``[k + D, j + D] = A[idx_k + R, idx_j + R]``: the mirrored sample order of
   :class:`react_bench.data.ReactDataset`, row k the speaker of sample k, column j the listener
   reaction of sample j.

Where the script would go on silently we stop: a split row that matches no data row (the script
drops it, and the matrix loses a row and no longer lines up with the samples) or several (the
script appends each match) raises ValueError naming the row, as does an all-data matrix whose size
is not twice the rows of ``data_indices.csv``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from react_bench.data.io import read_split, split_file
from react_bench.errors import BadInputError, MissingDataError

DATA_INDICES_FILE = "data_indices.csv"
ALL_DATA_MATRIX_FILE = "Approprirate_facial_reaction.npy"
"""Spelled as the release spells it."""


def official_sources(root: str | os.PathLike) -> tuple[Path, Path]:
    """``(data_indices.csv, Approprirate_facial_reaction.npy)`` paths under ``root``."""
    root = Path(root)
    return root / DATA_INDICES_FILE, root / ALL_DATA_MATRIX_FILE


def has_official_sources(root: str | os.PathLike) -> bool:
    """True when both files that ``tool/matrix_split.py`` reads are present."""
    return all(path.is_file() for path in official_sources(root))


def read_data_indices(path: str | os.PathLike) -> list[str]:
    """Keys ``SITE/chat_index/clip_index`` of the data rows of ``data_indices.csv``, in file order.

    As ``matrix_split.py`` reads it (``pd.read_csv(header=None).drop(0)``): the first row is dropped
    whatever it holds, and only the site is upper-cased.
    """
    path = Path(path)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    keys = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(field.strip() for field in row):
            continue
        if len(row) < 3:
            raise BadInputError(f"{path} line {number}: expected 'site,chat_index,clip_index'; got {row!r}")
        keys.append(f"{row[0].upper()}/{row[1]}/{row[2]}")
    return keys


def split_row_key(speaker_clip: str) -> str:
    """The ``data_indices.csv`` key of a split row's speaker clip (rule 2 of the module docstring)."""
    items = speaker_clip.split("/")
    if len(items) > 4:  # UDIVA: <site>/<task>/<session>/<person>/<clip>
        return f"{items[0].upper()}/{items[2]}_{items[1]}/{items[4]}"
    if len(items) < 4:
        raise BadInputError(
            f"clip path {speaker_clip!r} has {len(items)} parts; expected <site>/<session>/<person>/<clip>"
        )
    return f"{items[0].upper()}/{items[1]}/{items[3]}"


def match_split_rows(speaker_clips: list[str], keys: list[str], *, source: str = DATA_INDICES_FILE) -> np.ndarray:
    """``(D,)`` all-data index of each split row, found by key; ValueError naming an unmatched or ambiguous row."""
    positions: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        positions.setdefault(key, []).append(index)
    matched = []
    for row, clip in enumerate(speaker_clips):
        key = split_row_key(clip)
        found = positions.get(key, [])
        if len(found) != 1:
            what = "matches no row" if not found else f"matches {len(found)} rows (data rows {found[:5]})"
            raise BadInputError(
                f"split row {row} (speaker clip {clip!r}, key {key!r}) {what} of {source}; "
                f"tool/matrix_split.py needs exactly one. Is {source} the one shipped with this release?"
            )
        matched.append(found[0])
    return np.asarray(matched, dtype=np.int64)


def cut_split_matrix(all_matrix: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """``(2 D, 2 D)`` float64 split matrix of the all-data ``(2 R, 2 R)`` matrix (rule 3)."""
    half = all_matrix.shape[0] // 2
    rows = np.concatenate([indices, indices + half])  # (2 D,) mirrored: speakers, then swapped roles
    return np.asarray(all_matrix[np.ix_(rows, rows)], dtype=np.float64)


def build_official_matrix(root: str | os.PathLike, split: str) -> np.ndarray:
    """``(2 D, 2 D)`` float64 0/1 matrix of ``split``, as ``tool/matrix_split.py`` writes it to
    ``neighbour_emotion_{split}.npy``, from the two all-data files under ``root``."""
    indices_path, matrix_path = official_sources(root)
    for path in (indices_path, matrix_path):
        if not path.is_file():
            raise MissingDataError(
                f"{path} not found; building the official {split} matrix needs {DATA_INDICES_FILE} and "
                f"{ALL_DATA_MATRIX_FILE} in the dataset root (or a ready neighbour_emotion_{split}.npy)"
            )
    keys = read_data_indices(indices_path)
    try:
        # Memory-mapped: the all-data matrix can be 8614 x 8614 float64 (0.6 GB); only 2D rows are read.
        all_matrix = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadInputError(f"appropriateness matrix {matrix_path} is not a readable .npy array ({error})") from None
    if all_matrix.ndim != 2 or all_matrix.shape[0] != all_matrix.shape[1] or all_matrix.shape[0] != 2 * len(keys):
        raise BadInputError(
            f"appropriateness matrix {matrix_path} has shape {all_matrix.shape}; expected "
            f"({2 * len(keys)}, {2 * len(keys)}): two mirrored blocks over the {len(keys)} rows of {indices_path.name}"
        )
    speaker_clips = [speaker for speaker, _ in read_split(split_file(root, split))]
    indices = match_split_rows(speaker_clips, keys, source=str(indices_path))
    return cut_split_matrix(all_matrix, indices)
