"""Reading and writing the files of the REACT2024 layout.

One function per file kind. Readers return the array as stored (all its rows) and raise
``ValueError`` / ``FileNotFoundError`` naming the file and the fix when it cannot be read;
content checks (NaN, binary AUs, ...) live in :mod:`react_bench.data.check`.

Layout: ``<root>/<split>/<modality dir>/<site>/<session>/<person>/<clip><ext>`` with the
modality folders of :data:`react_bench.constants.MODALITY_DIRS` and the extensions of
:data:`EXTENSIONS`; split files ``<root>/<split>.csv``.
"""

from __future__ import annotations

import csv
import io
import os
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
import torch
import torchaudio

from react_bench.constants import (
    AU_SLICE,
    EMOTION_COLUMNS,
    EMOTION_DIM,
    MODALITY_DIRS,
    THREEDMM_DIM,
)
from react_bench.errors import BadInputError, MissingDataError

EXTENSIONS = {"emotion": ".csv", "3dmm": ".npy", "audio": ".wav", "video": ""}
"""File extension of each modality (video is a folder of frames)."""

SPLIT_HEADER = ("", "speaker_path", "listener_path")
"""Header the synthetic generator writes; the official files carry a leading index column too."""

EMOTION_DECIMALS = 4
"""Decimals of valence/arousal/expression values in the CSVs the generator writes."""


def clip_file(root: str | os.PathLike, split: str, modality: str, clip: str) -> Path:
    """Path of one modality of ``clip`` (``<site>/<session>/<person>/<clip>``) in ``split``."""
    return Path(root) / split / MODALITY_DIRS[modality] / (clip + EXTENSIONS[modality])


def split_file(root: str | os.PathLike, split: str) -> Path:
    return Path(root) / f"{split}.csv"


# --- split files ---------------------------------------------------------------------------


def mirrored_clips(dyads: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """``(speaker clips, listener clips)``, 2 D each, in sample order for D dyads (docs/data.md):
    sample ``k < D`` is row k as written, sample ``k + D`` is row k with the roles swapped."""
    speakers = [speaker for speaker, _ in dyads] + [listener for _, listener in dyads]
    listeners = [listener for _, listener in dyads] + [speaker for speaker, _ in dyads]
    return speakers, listeners


def read_split(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Rows ``(speaker clip, listener clip)`` of a split CSV.

    The first row is a header. A row has either two fields (speaker, listener) or three
    (row index, speaker, listener) as in the official files; clip paths are relative
    ``<site>/<session>/<person>/<clip>`` without extension.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(
            f"split file {path} not found; a REACT2024 dataset has <root>/{{train,val,test}}.csv "
            f"(create one with `react-bench data synth`, or pass the dataset's root folder)"
        )
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise BadInputError(f"split file {path} is empty; expected a header row then one row per dyad")
    pairs = []
    for number, row in enumerate(rows[1:], start=2):
        fields = [field.strip() for field in row]
        if not any(fields):
            continue
        if len(fields) == 3:
            fields = fields[1:]
        if len(fields) != 2 or not all(fields):
            raise BadInputError(
                f"{path} line {number}: expected 'speaker_path,listener_path' (optionally after a row "
                f"index); got {row!r}"
            )
        pairs.append((fields[0].strip("/"), fields[1].strip("/")))
    return pairs


def format_split(pairs: list[tuple[str, str]]) -> str:
    """CSV text of a split file in the official format (index, speaker, listener)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SPLIT_HEADER)
    for index, (speaker, listener) in enumerate(pairs):
        writer.writerow((index, speaker, listener))
    return buffer.getvalue()


# --- emotion CSVs ------------------------------------------------------------------------------


def read_emotion(path: str | os.PathLike) -> np.ndarray:
    """``(F, 25)`` float32 emotion channels of a CSV with a header row (F = 751 in REACT2024)."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"emotion file {path} not found; every clip of a split needs its Emotion CSV")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise BadInputError(f"emotion file {path} is not a readable CSV ({error})") from None
    if frame.shape[1] != EMOTION_DIM:
        raise BadInputError(
            f"emotion file {path} has {frame.shape[1]} columns; expected {EMOTION_DIM} "
            f"({', '.join(EMOTION_COLUMNS[:3])}, ..., {EMOTION_COLUMNS[-1]})"
        )
    try:
        return frame.to_numpy(dtype=np.float32)
    except ValueError as error:
        raise BadInputError(f"emotion file {path} has non-numeric values ({error})") from None


def format_emotion(emotion: np.ndarray) -> str:
    """CSV text of ``(F, 25)`` emotion channels: header, AUs as 0/1, the rest with 4 decimals."""
    frame = pd.DataFrame(np.asarray(emotion, dtype=np.float64), columns=list(EMOTION_COLUMNS))
    au_columns = list(EMOTION_COLUMNS[AU_SLICE])
    frame[au_columns] = frame[au_columns].round().astype(np.int64)
    return frame.to_csv(index=False, float_format=f"%.{EMOTION_DECIMALS}f", lineterminator="\n")


def parse_emotion_text(text: str) -> np.ndarray:
    """What :func:`read_emotion` returns for a file holding ``text``: ``(F, 25)`` float32."""
    return pd.read_csv(io.StringIO(text)).to_numpy(dtype=np.float32)


# --- 3DMM coefficients ---------------------------------------------------------------------------


def read_npy_frames(path: str | os.PathLike, dim: int, what: str, *, hint: str = "") -> np.ndarray:
    """``(F, dim)`` float32 of a per-frame ``.npy`` (singleton axes, e.g. ``(751, 1, dim)``, squeezed);
    errors name the file and ``what`` it holds, ``hint`` says where such a file comes from."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"{what} file {path} not found{hint}")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadInputError(f"{what} file {path} is not a readable .npy array ({error})") from None
    squeezed = array.reshape([n for n in array.shape if n != 1]) if array.ndim > 2 else array
    if squeezed.ndim != 2 or squeezed.shape[1] != dim:
        raise BadInputError(f"{what} file {path} has shape {array.shape}; expected (frames, {dim})")
    if not np.issubdtype(squeezed.dtype, np.number):
        raise BadInputError(f"{what} file {path} holds {squeezed.dtype} values; expected floating-point numbers")
    return squeezed.astype(np.float32)


def read_threedmm(path: str | os.PathLike) -> np.ndarray:
    """``(F, 58)`` float32 3DMM coefficients; singleton axes (e.g. ``(751, 1, 58)``) are squeezed."""
    return read_npy_frames(path, THREEDMM_DIM, "3DMM", hint="; every clip of a split needs its 3D_FV_files .npy")


# --- audio -------------------------------------------------------------------------------------


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """``(samples (L, C) float32 in [-1, 1], sample rate)`` of a wav file, read with libsndfile.

    Any sample format that ``soundfile`` reads (8/16/24/32-bit PCM, float32/64,
    WAVE_FORMAT_EXTENSIBLE headers), as the official loaders do (``sf.read`` in
    ``extract_audio_features`` of baseline_react2024's ``dataset.py``). Integer PCM is scaled by
    ``2 ** (bits - 1)`` (16-bit: ``x / 32768``, as :func:`pcm16_to_float`). The channels are kept;
    :func:`to_mono_16k` averages them as the official loader does (``audio.mean(-1)``).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"audio file {path} not found; every clip of a split needs its Audio_files .wav")
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, TypeError, OSError) as error:
        reason = getattr(error, "error_string", None) or str(error)  # libsndfile's reason, without the path again
        raise BadInputError(
            f"audio file {path} is not a readable PCM wav or other file libsndfile reads ({reason}); "
            f"re-encode it as a wav (e.g. `ffmpeg -i IN -c:a pcm_s16le OUT.wav`)"
        ) from None
    return np.ascontiguousarray(audio), int(rate)


def write_wav_bytes(pcm: np.ndarray, sample_rate: int) -> bytes:
    """Mono 16-bit PCM wav bytes of ``(L,)`` int16 samples (see :func:`quantize_pcm16`)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return buffer.getvalue()


def quantize_pcm16(audio: np.ndarray) -> np.ndarray:
    """``(L,)`` int16 samples of float audio in [-1, 1]."""
    return np.clip(np.round(np.asarray(audio, dtype=np.float64) * 32767.0), -32768, 32767).astype("<i2")


def pcm16_to_float(pcm: np.ndarray) -> np.ndarray:
    """What :func:`read_wav` returns for 16-bit samples: ``(L,)`` float32."""
    return pcm.astype(np.float32) / 32768.0


def to_mono_16k(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """``(L', )`` float32 mono audio at ``target_rate`` (channel mean, then torchaudio resampling)."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if rate == target_rate:
        return mono
    resampled = torchaudio.functional.resample(torch.from_numpy(mono), orig_freq=rate, new_freq=target_rate)
    return resampled.numpy().astype(np.float32)
