"""``check_mars``: every fault of a MARS tree, one ``Problem(file, what)`` each (as ``data check``)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from react_bench.constants import (
    AU_SLICE,
    EMOTION_DIM,
    FE_SLICE,
    ROLES,
    SPLITS,
    THREEDMM_DIM,
    VA_SLICE,
)
from react_bench.data.check import FE_SUM_TOLERANCE, Problem
from react_bench.data.io import read_npy_frames, read_threedmm, read_wav
from react_bench.data.mars.paths import (
    AUDIO_FEATURE_DIM,
    MARS_DIRS,
    mars_file,
    other_role,
    walk_clips,
)
from react_bench.data.mars.reading import EEG_COLUMNS, read_personality

__all__ = ["check_mars"]


def check_mars(root: str | os.PathLike) -> list[Problem]:
    """Every problem of the MARS dataset at ``root``, one ``Problem(file, what)`` each (as ``data check``)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return [Problem(str(root), "dataset folder not found")]
    problems: list[Problem] = []
    for split in SPLITS:
        base = root / split / MARS_DIRS["emotion"]
        if not base.is_dir():
            problems.append(Problem(str(base), "emotion folder not found; expected facial-attributes/{speaker,listener}/session<i>/"))
            continue
        for child in base.iterdir():
            if child.name not in ROLES and not child.name.startswith("."):
                problems.append(Problem(str(child), "unexpected folder; roles are 'speaker' and 'listener'"))
        clips = walk_clips(root, split)
        present = set(clips)
        for role, session, stem in clips:
            clip = f"{role}/{session}/{stem}"
            if (other_role(role), session, stem) not in present:
                problems.append(Problem(str(mars_file(root, split, "emotion", clip)),
                                        f"no {other_role(role)} clip with the same stem in {session}; clips are paired by stem"))
            problems.extend(_clip_problems(root, split, clip))
        for role in ROLES:
            table = root / split / "personality" / f"{role}.csv"
            if table.is_file():
                problems.extend(_personality_problems(table))
    return problems


def _clip_problems(root: Path, split: str, clip: str) -> list[Problem]:
    found = []
    emotion_path = mars_file(root, split, "emotion", clip)
    try:
        emotion = read_npy_frames(emotion_path, EMOTION_DIM, "emotion")
        found += [Problem(str(emotion_path), message) for message in _emotion_content(emotion)]
    except (FileNotFoundError, ValueError) as error:
        found.append(Problem(str(emotion_path), _reason(error, emotion_path)))
    for modality, dim, required in (("3dmm", THREEDMM_DIM, True), ("audio-features", AUDIO_FEATURE_DIM, False)):
        path = mars_file(root, split, modality, clip)
        if not path.is_file() and not required and not (root / split / MARS_DIRS[modality]).is_dir():
            continue
        try:
            array = read_threedmm(path) if modality == "3dmm" else read_npy_frames(path, dim, modality)
            if not np.isfinite(array).all():
                found.append(Problem(str(path), f"{int((~np.isfinite(array)).sum())} NaN/Inf values"))
        except (FileNotFoundError, ValueError) as error:
            found.append(Problem(str(path), _reason(error, path)))
    wav = mars_file(root, split, "audio", clip)
    if (root / split / MARS_DIRS["audio"]).is_dir():
        try:
            read_wav(wav)
        except (FileNotFoundError, ValueError) as error:
            found.append(Problem(str(wav), _reason(error, wav)))
    eeg = root / split / "eeg_processed" / (clip + ".csv")
    if eeg.is_file():
        header = next(csv.reader(io.StringIO(eeg.read_text(encoding="utf-8-sig"))), [])
        if not set(EEG_COLUMNS) & set(header):
            found.append(Problem(str(eeg), f"none of the EEG columns ({', '.join(EEG_COLUMNS[:4])}, ...) in its header"))
    return found


def _emotion_content(emotion: np.ndarray) -> list[str]:
    """What is wrong with ``(L, 25)`` emotion values (the REACT2024 checks of data check, any length)."""
    found = []
    if not len(emotion):
        return ["no frames"]
    finite = np.isfinite(emotion).all(axis=1)
    if not finite.all():
        found.append(f"{int((~np.isfinite(emotion)).sum())} NaN/Inf values (first at frame {int(np.flatnonzero(~finite)[0])})")
    good = emotion[finite]
    if (~np.isin(good[:, AU_SLICE], (0.0, 1.0))).any():
        found.append("AU values are not 0 or 1; AU occurrences must be binary")
    if (np.abs(good[:, VA_SLICE]) > 1).any():
        found.append("valence/arousal values outside [-1, 1]")
    fe = good[:, FE_SLICE]
    if (fe < 0).any() or (np.abs(fe.sum(axis=1) - 1) > FE_SUM_TOLERANCE).any():
        found.append(f"expression probabilities negative or not summing to 1 (tolerance {FE_SUM_TOLERANCE})")
    return found


def _personality_problems(path: Path) -> list[Problem]:
    try:
        table = read_personality(path)
    except ValueError as error:
        return [Problem(str(path), _reason(error, path))]
    bad = [stem for (session, stem), v in table.items() if not ((v >= 0) & (v <= 1)).all()]
    return [Problem(str(path), f"traits outside 1..5 for {', '.join(sorted(set(bad))[:3])}")] if bad else []


def _reason(error: Exception, path: Path) -> str:
    message = str(error)
    for prefix in (f"emotion file {path} ", f"3DMM file {path} ", f"audio file {path} ", f"3dmm file {path} ",
                   f"audio-features file {path} ", f"personality file {path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
