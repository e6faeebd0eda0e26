"""Write a synthetic dyadic dataset in the REACT2024 layout.

``<out>/{train,val,test}/{Audio_files,Emotion,3D_FV_files}/synth/<split>_sNNN/person{1,2}/<clip>``
plus ``<out>/{train,val,test}.csv``, ``<out>/synthetic.json`` (config, seed, version: the marker
:attr:`ReactDataset.is_synthetic` looks for) and, for val and test,
``<out>/<split>/Extra_reactions/<clip>.npz`` (:mod:`react_bench.data.extra_reactions`). No video.

Each session has two persons (traits drawn once, from ``default_rng([seed, split, session, 0])``)
and ``dyads_per_session`` clips; both persons appear in every clip of the session, so each person
has several clips in its split. The split CSV row of clip ``c`` names person1 first when ``c`` is
odd, person2 otherwise; both mirrored samples of a row are listening situations. Random streams,
all from the seed: the clip's schedule and underlying affect ``[seed, split, session, clip]``,
person p's private noise ``[..., clip, 1 + p]``, the private noise of its extra reactions
``[..., clip, 3 + p]``, its audio ``[..., clip, 5 + p]``, the reaction traits of its extra reactions'
listeners ``[..., clip, 7 + p]``; so a file's bytes depend only on the seed and the config.

3DMM files are stored as float16 (751 x 58 x 2 bytes) to keep the medium set under 500 MB;
the loader returns float32.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from react_bench.constants import SPLITS, VA_SLICE
from react_bench.data.extra_reactions import write_extra_reactions
from react_bench.data.io import clip_file, format_emotion, format_split, quantize_pcm16, write_wav_bytes
from react_bench.data.synth.audio import voice_level, voiced_audio
from react_bench.data.synth.config import GENERATOR_VERSION, SynthConfig
from react_bench.data.synth.conversation import (
    BACKCHANNEL_FRAMES, Schedule, Traits, express, sample_affect, sample_schedule,
)
from react_bench.data.synth.face import NoiseStream
from react_bench.errors import ReactBenchError
from react_bench.utils import atomic_write_json

MARKER_FILE = "synthetic.json"


class DatasetExistsError(ReactBenchError, FileExistsError):
    """The output folder of a new dataset already holds files (the CLI prints it and exits 2)."""


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
        raise DatasetExistsError(f"{out} already exists and is not empty; choose another --out or delete it first")
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
                raise DatasetExistsError(f"{out} was created by another process while generating") from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


EXTRA_SPLITS = ("val", "test")
"""Splits whose samples get extra true reactions."""


@dataclass(frozen=True)
class DyadClip:
    """One dyad clip as simulated: the shared latent part and both persons' faces.

    Attributes:
        key: ``(seed, split index, session index, clip number)``, the root of its random streams.
        persons: traits of person1 and person2.
        schedule: the shared :class:`Schedule` (person index 0 = person1).
        affect: ``(2, T, 2)`` underlying valence/arousal of both persons.
    """

    key: tuple[int, int, int, int]
    persons: tuple[Traits, Traits]
    schedule: Schedule
    affect: np.ndarray


def session_persons(seed: int, split_index: int, session_index: int, config: SynthConfig) -> tuple[Traits, Traits]:
    """The two persons of a session; their traits hold in every clip of the session."""
    rng = np.random.default_rng([seed, split_index, session_index, 0])
    return Traits.sample(rng, config.listener), Traits.sample(rng, config.listener)


def simulate_dyad(config: SynthConfig, split_index: int, session_index: int, clip_number: int) -> DyadClip:
    """The latent part of one dyad clip (schedule and underlying affect), from its random stream."""
    persons = session_persons(config.seed, split_index, session_index, config)
    key = (config.seed, split_index, session_index, clip_number)
    rng = np.random.default_rng(list(key))
    schedule = sample_schedule(rng, config.file_frames, config.conversation)
    moods = np.array([[float(p.valence_mood), float(p.arousal_mood)] for p in persons])  # (2, 2)
    affect = sample_affect(rng, moods, config.file_frames, config.conversation)
    return DyadClip(key=key, persons=persons, schedule=schedule, affect=affect)


def person_face(
    dyad: DyadClip, person: int, config: SynthConfig, *, draws: int = 1, stream: int = 1, traits: Traits | None = None
):
    """``draws`` faces of ``person`` (0 or 1) in ``dyad``: ``(emotion (S, T, 25), threedmm (S, T, 58),
    backchannels (S, T))``. ``stream=1`` is the stored clip's noise, ``stream=3`` its extra reactions';
    ``traits`` (fields ``(S,)``) replaces the person's own traits (the extra reactions' listeners)."""
    partner = 1 - person
    white = NoiseStream(np.random.default_rng([*dyad.key, stream + person]), (draws,)).get(config.file_frames)
    repeat = lambda x: np.broadcast_to(x, (draws, *x.shape))  # noqa: E731
    return express(
        dyad.persons[person].broadcast((draws,)) if traits is None else traits,
        holds_floor=repeat(dyad.schedule.floor == person),
        voice=repeat(dyad.schedule.voice[person]),
        own_affect=repeat(dyad.affect[person]),
        partner_affect=repeat(dyad.affect[partner]),
        partner_voice=repeat(dyad.schedule.voice[partner]),
        white=white,
        listener=config.listener,
        conversation=config.conversation,
    )


def extra_listeners(dyad: DyadClip, person: int, config: SynthConfig) -> Traits:
    """The R listeners of ``person``'s extra reactions: reaction traits (lag, gains, mimicry,
    expressiveness, refractory time) drawn from the prior, ``default_rng([*key, 7 + person])``;
    mood and voice pitch are the person's own.

    Why this is exact: the partner's clip depends on ``person`` only through the schedule, its
    voicing and its underlying affect ``u`` (which holds its mood), never through how it reacts or
    how expressive its face is, so given the latent conversation those traits keep their prior.
    The R reactions are thus draws of p(listener | speaker clip, latent conversation): reactions of
    different listeners in the same conversation, REACT's "reactions of listeners to the same
    behaviour" made exact."""
    r = config.extra_reactions
    own = dyad.persons[person].broadcast((r,))
    fresh = Traits.sample(np.random.default_rng([*dyad.key, 7 + person]), config.listener, (r,))
    return replace(fresh, valence_mood=own.valence_mood, arousal_mood=own.arousal_mood, f0=own.f0)


def _write(root: Path, config: SynthConfig, *, progress: bool) -> None:
    start = time.perf_counter()
    for split_index, (split, num_dyads) in enumerate(zip(SPLITS, config.dyads)):
        pairs = []
        num_sessions = -(-num_dyads // config.dyads_per_session)
        for session_index in range(num_sessions):
            session = f"{SITE}/{split}_s{session_index:03d}"
            first = session_index * config.dyads_per_session
            for clip_number in range(1, min(config.dyads_per_session, num_dyads - first) + 1):
                clips = (f"{session}/person1/{clip_number}", f"{session}/person2/{clip_number}")
                _write_dyad(root, split, clips, simulate_dyad(config, split_index, session_index, clip_number), config)
                pairs.append(clips if clip_number % 2 == 1 else clips[::-1])
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
        "extra_reactions": config.extra_reactions,
        "extra_reaction_splits": list(EXTRA_SPLITS),
        "config": config.to_dict(),
    })


def _write_dyad(root: Path, split: str, clips: tuple[str, str], dyad: DyadClip, config: SynthConfig) -> None:
    num_samples = config.file_frames * config.sample_rate // 25
    for person, clip in enumerate(clips):
        emotion, threedmm, events = person_face(dyad, person, config)
        level = voice_level(dyad.schedule.voice[person], events[0], BACKCHANNEL_FRAMES)
        audio = voiced_audio(
            np.random.default_rng([*dyad.key, 5 + person]), level, emotion[0, :, VA_SLICE.start + 1],
            f0=float(dyad.persons[person].f0), num_samples=num_samples, sample_rate=config.sample_rate,
        )
        _write_clip(root, split, clip, emotion[0], threedmm[0], audio, config)
        if split in EXTRA_SPLITS and config.extra_reactions > 0:
            # This clip is the listener of the sample whose speaker is the partner's clip.
            extra, _, _ = person_face(dyad, person, config, draws=config.extra_reactions, stream=3,
                                      traits=extra_listeners(dyad, person, config))
            write_extra_reactions(root, split, clip, extra)


def _write_clip(
    root: Path, split: str, clip: str, emotion: np.ndarray, threedmm: np.ndarray, audio: np.ndarray,
    config: SynthConfig,
) -> None:
    """Write the three files of one clip."""
    for modality in ("emotion", "3dmm", "audio"):
        clip_file(root, split, modality, clip).parent.mkdir(parents=True, exist_ok=True)
    clip_file(root, split, "emotion", clip).write_text(format_emotion(emotion))
    np.save(clip_file(root, split, "3dmm", clip), threedmm.astype(THREEDMM_STORAGE_DTYPE), allow_pickle=False)
    pcm = quantize_pcm16(audio)
    clip_file(root, split, "audio", clip).write_bytes(write_wav_bytes(pcm, config.sample_rate))
