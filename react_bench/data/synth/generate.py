"""Write a synthetic dyadic dataset in the REACT2024 layout.

``<out>/{train,val,test}/{Audio_files,Emotion,3D_FV_files}/synth/<split>_sNNN/person{1,2}/<clip>``
plus ``<out>/{train,val,test}.csv`` and ``<out>/synthetic.json`` (config, seed, version: the
marker :attr:`ReactDataset.is_synthetic` looks for). No video frames.

Each session has two persons (fixed voice and mood) and ``dyads_per_session`` clips; in clip
``c`` person1 speaks when ``c`` is odd, person2 otherwise. Every clip draws from
``default_rng([seed, split index, session index, clip number])``, so a file's bytes depend only
on the seed and the config. The speaker is written first; the listener is then drawn by
:func:`sample_listener_reactions` from the speaker's streams *as they are read back from disk*
(rounded CSV values, 16-bit audio), exactly what an oracle submission later sees.

3DMM files are stored as float16 (751 x 58 x 2 bytes) to keep the medium set under 500 MB;
the loader returns float32.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from react_bench.constants import FPS, SPLITS, VA_SLICE
from react_bench.data.io import (
    clip_file, format_emotion, format_split, parse_emotion_text, pcm16_to_float, quantize_pcm16, write_wav_bytes,
)
from react_bench.data.synth.config import GENERATOR_VERSION, SynthConfig
from react_bench.data.synth.face import AU_INDEX
from react_bench.data.synth.listener import sample_listener_reactions
from react_bench.data.synth.speaker import Person, sample_speaker, voiced_audio
from react_bench.utils import atomic_write_json

MARKER_FILE = "synthetic.json"
SITE = "synth"
THREEDMM_STORAGE_DTYPE = np.float16


def generate_dataset(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    size: str = "medium",
    config: SynthConfig | None = None,
    progress: bool = False,
) -> Path:
    """Generate the synthetic dataset into the new folder ``out`` and return its path.

    The data is written into a temporary sibling folder that is renamed to ``out`` at the end,
    so an interrupted run never leaves a half dataset. ``config`` (if given) overrides ``seed``
    and ``size``. Raises FileExistsError when ``out`` exists and is not empty.
    """
    config = config or SynthConfig.for_size(size, seed=seed)
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} already exists and is not empty; choose another --out or delete it first")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        _write(tmp, config, progress=progress)
        try:
            os.replace(tmp, out)
        except OSError:
            if out.exists():  # another process created it meanwhile
                raise FileExistsError(f"{out} was created by another process while generating") from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(root: Path, config: SynthConfig, *, progress: bool) -> None:
    start = time.perf_counter()
    for split_index, (split, num_dyads) in enumerate(zip(SPLITS, config.dyads)):
        pairs = []
        num_sessions = -(-num_dyads // config.dyads_per_session)
        for session_index in range(num_sessions):
            persons = _session_persons(config.seed, split_index, session_index)
            session = f"{SITE}/{split}_s{session_index:03d}"
            first = session_index * config.dyads_per_session
            for clip_number in range(1, min(config.dyads_per_session, num_dyads - first) + 1):
                speaker_index = 0 if clip_number % 2 == 1 else 1
                paths = (
                    f"{session}/person{speaker_index + 1}/{clip_number}",
                    f"{session}/person{2 - speaker_index}/{clip_number}",
                )
                rng = np.random.default_rng([config.seed, split_index, session_index, clip_number])
                _write_dyad(root, split, paths, (persons[speaker_index], persons[1 - speaker_index]), rng, config)
                pairs.append(paths)
        (root / f"{split}.csv").write_text(format_split(pairs))
        if progress:
            print(f"  {split}: {len(pairs)} dyads ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    atomic_write_json(root / MARKER_FILE, {
        "generator": "react_bench.data.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": config.seed,
        "size": config.size,
        "dyads": dict(zip(SPLITS, config.dyads)),
        "threedmm_dtype": np.dtype(THREEDMM_STORAGE_DTYPE).name,
        "config": config.to_dict(),
    })


def _session_persons(seed: int, split_index: int, session_index: int) -> tuple[Person, Person]:
    rng = np.random.default_rng([seed, split_index, session_index, 0])
    return Person.sample(rng), Person.sample(rng)


def _write_dyad(
    root: Path, split: str, paths: tuple[str, str], persons: tuple[Person, Person], rng: np.random.Generator,
    config: SynthConfig,
) -> None:
    emotion, threedmm, audio = sample_speaker(rng, persons[0], config)
    speaker_audio = _write_clip(root, split, paths[0], emotion, threedmm, audio, config)

    # The listener sees the speaker exactly as a reader of the files does.
    emotion_read = parse_emotion_text(format_emotion(emotion))
    listener_emotion, listener_3dmm = sample_listener_reactions(
        emotion_read[None], [speaker_audio], num_samples=1, rng=rng, config=config.listener
    )
    listener_emotion, listener_3dmm = listener_emotion[0, 0], listener_3dmm[0, 0]
    # The listener's own audio: a quiet "mm-hm" wherever its lips part (AU25).
    lips = listener_emotion[:, AU_INDEX["AU25"]] > 0.5
    listener_audio = voiced_audio(
        rng, _runs(lips), listener_emotion[:, VA_SLICE.start + 1].astype(np.float64),
        f0=persons[1].f0, level=0.5, num_samples=len(audio), sample_rate=config.sample_rate,
    )
    _write_clip(root, split, paths[1], listener_emotion, listener_3dmm, listener_audio, config)


def _write_clip(
    root: Path, split: str, clip: str, emotion: np.ndarray, threedmm: np.ndarray, audio: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """Write the three files of one clip; return the audio as read back ``(L,)`` float32."""
    for modality in ("emotion", "3dmm", "audio"):
        clip_file(root, split, modality, clip).parent.mkdir(parents=True, exist_ok=True)
    clip_file(root, split, "emotion", clip).write_text(format_emotion(emotion))
    np.save(clip_file(root, split, "3dmm", clip), threedmm.astype(THREEDMM_STORAGE_DTYPE), allow_pickle=False)
    pcm = quantize_pcm16(audio)
    clip_file(root, split, "audio", clip).write_bytes(write_wav_bytes(pcm, config.sample_rate))
    return pcm16_to_float(pcm)


def _runs(mask: np.ndarray) -> list[tuple[float, float]]:
    """``[(start_s, end_s), ...]`` of the runs of True in a ``(T,)`` frame mask."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(start / FPS, end / FPS) for start, end in zip(edges[::2], edges[1::2])]
