"""Reading MARS files: the 2026 personality and EEG tables (per-frame ``.npy`` arrays are read by
:func:`react_bench.data.io.read_npy_frames`, shared with the REACT2024 layout)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from react_bench.errors import BadInputError, MissingDataError

__all__ = ["EEG_COLUMNS", "EEG_RAW_SCALE", "PERSONALITY_TRAITS", "eeg_window", "normalise_3dmm", "read_eeg",
           "read_personality"]

PERSONALITY_TRAITS = ("Extraversion", "Agreeableness", "Conscientiousness", "Neuroticism", "Openness")
"""Columns of ``personality/{listener,speaker}.csv``, 1..5 on disk, ``(x - 1) / 4`` when read (2026)."""
EEG_COLUMNS = (
    "TP9", "AF7", "AF8", "TP10", "Delta_TP9", "Theta_TP9", "Alpha_TP9", "Beta_TP9", "Gamma_TP9",
    "Delta_TP10", "Theta_TP10", "Alpha_TP10", "Beta_TP10", "Gamma_TP10",
)
"""``DEFAULT_EEG_TARGET_COLS`` of the 2026 loaders; the first four are raw channels, divided by 1000."""
EEG_RAW_SCALE = 1000.0


def read_personality(path: Path) -> dict:
    """``{(session or None, stem): (5,) float32}`` of a personality CSV, traits scaled ``(x - 1) / 4``."""
    table = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            stem = Path(row.get("video_name") or "").stem
            if not stem:
                continue
            try:
                values = np.array([(float(row[t]) - 1.0) / 4.0 for t in PERSONALITY_TRAITS], dtype=np.float32)
            except (KeyError, TypeError, ValueError):
                raise BadInputError(f"personality file {path} line {number}: expected numbers in {', '.join(PERSONALITY_TRAITS)}") from None
            if row.get("session"):
                table[(row["session"], stem)] = values
            table[(None, stem)] = values
    return table


def read_eeg(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``((R, 14) values, (R, 14) mask)`` float32, one row per second, as ``_load_eeg`` (2026) parses them."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    values = np.zeros((len(rows), len(EEG_COLUMNS)), np.float32)
    mask = np.zeros_like(values)
    for r, row in enumerate(rows):
        for c, column in enumerate(EEG_COLUMNS):
            try:
                value = float(row.get(column) or "nan")
            except ValueError:
                continue
            if math.isfinite(value):
                values[r, c] = value / EEG_RAW_SCALE if c < 4 else value
                mask[r, c] = 1.0
    return values, mask


def eeg_window(values: np.ndarray, mask: np.ndarray, start: int, frames: int, fps: int) -> tuple[np.ndarray, np.ndarray]:
    """``((frames, 14), (frames, 14))`` per-frame EEG from per-second rows ``(R, 14)``, from frame ``start``.

    As ``_load_eeg`` (2026): frame t reads row ``floor(t / fps)``, clipped to the last row; no rows: zeros.
    """
    if not len(values):
        empty = np.zeros((frames, len(EEG_COLUMNS)), np.float32)
        return empty, empty.copy()
    rows = np.clip(np.arange(start, start + frames) // fps, 0, len(values) - 1)
    return values[rows], mask[rows]


def normalise_3dmm(coefficients: np.ndarray, mode: str | None, stats_dir: Path) -> np.ndarray:
    """``(L, 58)`` coefficients normalised as ``mode`` says: ``"standard"`` ``(e - mean) / std``,
    ``"zero_center"`` ``e - mean``, None unchanged; ``mean_face.npy`` / ``std_face.npy`` from ``stats_dir``."""
    if mode is None:
        return coefficients
    mean, std = (stats_dir / name for name in ("mean_face.npy", "std_face.npy"))
    if not mean.is_file() or (mode == "standard" and not std.is_file()):
        raise MissingDataError(
            f"3DMM normalisation {mode!r} needs {mean} and {std} (the baselines' "
            f"external/FaceVerse/mean_face.npy and std_face.npy); pass face_stats_dir=, or normalize_3dmm=None"
        )
    centred = coefficients - np.load(mean).astype(np.float32).reshape(-1)
    return centred / np.load(std).astype(np.float32).reshape(-1) if mode == "standard" else centred
