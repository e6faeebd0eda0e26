"""``write_mars_layout``: a REACT2024-layout synthetic dataset rewritten in the MARS layout."""

from __future__ import annotations

import csv
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import soundfile

from react_bench.constants import ROLES, SPLITS
from react_bench.data.io import (
    clip_file,
    read_emotion,
    read_split,
    read_threedmm,
    read_wav,
    split_file,
)
from react_bench.data.mars.paths import AUDIO_FEATURE_DIM, MARS_FPS, mars_file
from react_bench.data.mars.reading import EEG_COLUMNS, PERSONALITY_TRAITS
from react_bench.data.synth.generate import (
    MARKER_FILE,  # the same marker in both layouts
)
from react_bench.errors import BadInputError

__all__ = ["write_mars_layout"]


def write_mars_layout(src_root: str | os.PathLike, out: str | os.PathLike, *, edition: str = "2025", seed: int = 0,
                      min_fraction: float = 0.5) -> Path:
    """Write the REACT2024-layout synthetic dataset at ``src_root`` in the MARS layout at ``out``.

    Row k of ``<split>.csv`` becomes ``speaker/session<i>/clip-<c>`` and ``listener/session<i>/clip-<c>``
    (i the number of the source session, c its clip). Streams are resampled from 25 to 30 fps by
    nearest frame (AUs stay binary) and cut to a length drawn from ``default_rng([seed, split, k])``
    between ``min_fraction`` and all of the clip, so lengths vary. wav2vec features are a fixed
    random ``tanh`` projection of each frame's log band energies (float16 on disk). ``edition="2026"``
    adds ``personality/`` and ``eeg_processed/`` tables. ``mean_face.npy`` / ``std_face.npy`` (the
    train coefficients' statistics) go to ``out``.
    """
    src, out = Path(src_root).expanduser(), Path(out).expanduser()
    if edition not in ("2025", "2026"):
        raise BadInputError(f"edition must be '2025' or '2026'; got {edition!r}")
    if out.exists() and any(out.iterdir()):
        raise BadInputError(f"{out} already exists and is not empty; choose another folder")
    projection = np.random.default_rng([seed, 768]).normal(size=(16, AUDIO_FEATURE_DIM)).astype(np.float32) / 2
    train_coefficients = []
    for split_index, split in enumerate(SPLITS):
        personality_rows = {role: [] for role in ROLES}
        for k, dyad in enumerate(read_split(split_file(src, split))):
            rng = np.random.default_rng([seed, split_index, k])
            session = "session" + re.sub(r"\D", "", dyad[0].split("/")[1]).lstrip("0").rjust(1, "0")
            stem = f"clip-{dyad[0].split('/')[-1]}"
            for role, source_clip in zip(ROLES, dyad):
                emotion = read_emotion(clip_file(src, split, "emotion", source_clip))
                if role == "speaker":
                    frames = round(len(emotion) * MARS_FPS / 25)
                    length = int(rng.integers(max(1, int(min_fraction * frames)), frames + 1))
                    index = np.minimum(np.arange(length) * 25 // MARS_FPS, len(emotion) - 1)
                coefficients = read_threedmm(clip_file(src, split, "3dmm", source_clip))[index]
                audio, rate = read_wav(clip_file(src, split, "audio", source_clip))
                audio = audio[: round(length / MARS_FPS * rate)]
                clip = f"{role}/{session}/{stem}"
                _save(mars_file(out, split, "emotion", clip), emotion[index].astype(np.float32))
                _save(mars_file(out, split, "3dmm", clip), coefficients)
                _save(mars_file(out, split, "audio-features", clip), _band_features(audio, rate, length, projection))
                mars_file(out, split, "audio", clip).parent.mkdir(parents=True, exist_ok=True)
                soundfile.write(mars_file(out, split, "audio", clip), audio, rate, subtype="PCM_16")
                if split == "train":
                    train_coefficients.append(coefficients)
                if edition == "2026":
                    personality_rows[role].append([f"{stem}.mp4", session, *rng.integers(1, 6, size=5).tolist()])
                    _write_eeg(out / split / "eeg_processed" / f"{clip}.csv", rng, math.ceil(length / MARS_FPS))
        if edition == "2026":
            for role, rows in personality_rows.items():
                _write_csv(out / split / "personality" / f"{role}.csv", ("video_name", "session", *PERSONALITY_TRAITS), rows)
    stacked = np.concatenate(train_coefficients)
    np.save(out / "mean_face.npy", stacked.mean(axis=0))
    np.save(out / "std_face.npy", np.maximum(stacked.std(axis=0), 1e-3))
    marker = json.loads((src / MARKER_FILE).read_text()) if (src / MARKER_FILE).is_file() else {}
    (out / MARKER_FILE).write_text(json.dumps({**marker, "layout": "mars", "edition": edition, "mars_seed": seed,
                                               "source": str(src)}, indent=2))
    return out


def _save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)


def _band_features(audio: np.ndarray, rate: int, frames: int, projection: np.ndarray) -> np.ndarray:
    """``(frames, 768)`` float16: tanh of 16 log band energies per 1/30 s frame times a fixed matrix."""
    mono = audio.mean(axis=1)
    hop = rate / MARS_FPS
    bands = np.zeros((frames, projection.shape[0]), np.float32)
    for t in range(frames):
        piece = mono[int(t * hop): int((t + 1) * hop)]
        if len(piece):
            spectrum = np.abs(np.fft.rfft(piece)) ** 2
            bands[t] = np.log1p([part.sum() for part in np.array_split(spectrum, projection.shape[0])])
    return np.tanh(bands @ projection).astype(np.float16)


def _write_eeg(path: Path, rng: np.random.Generator, seconds: int) -> None:
    values = np.column_stack([rng.normal(800, 50, size=(seconds, 4)), rng.uniform(0, 1, size=(seconds, 10))])
    _write_csv(path, EEG_COLUMNS, np.round(values, 4).tolist())


def _write_csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
