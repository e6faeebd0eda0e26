"""The synthetic speaker: smooth affect, talk/pause segments and voiced audio that follows arousal.

- Valence and arousal are ``tanh(mood + 0.7 * slow noise)`` with the person's mood offset and
  noise smooth over ``speaker_affect_smoothing_s``; arousal rises by 0.3 while talking.
- Talk and pause segments alternate with exponential lengths (means ``talk_mean_s``,
  ``pause_mean_s``, at least 0.4 s each). Talking opens the mouth (AU25/AU26 drive).
- Audio is a pitch-modulated harmonic source (8 harmonics, amplitude 1/k) whose pitch is the
  person's base f0 times ``1 + 0.25 * arousal`` and whose energy is ``0.12 + 0.09 * (arousal + 1)``
  in talk segments (with a syllable-rate modulation and 20 ms ramps), silence (a -66 dBFS noise
  floor) in pauses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from react_bench.constants import FPS, NUM_AU
from react_bench.data.synth.config import SynthConfig
from react_bench.data.synth.face import AU_INDEX, emotion_from_affect, head_pose, smooth_noise, threedmm_from_emotion

NOISE_FLOOR = 0.0005
"""Standard deviation of the background noise of every wav (about -66 dBFS)."""


@dataclass(frozen=True)
class Person:
    """What stays fixed for one person across the clips of a session."""

    f0: float  # base pitch in Hz
    valence_mood: float  # offset of the valence trajectory before tanh
    arousal_mood: float
    expressiveness: float  # scales AU drive and 3DMM amplitude when speaking

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "Person":
        return cls(
            f0=float(rng.uniform(95.0, 230.0)),
            valence_mood=float(rng.normal(0.0, 0.35)),
            arousal_mood=float(rng.normal(0.0, 0.35)),
            expressiveness=float(rng.uniform(0.7, 1.3)),
        )


def talk_segments(
    rng: np.random.Generator, duration_s: float, *, talk_mean_s: float, pause_mean_s: float
) -> list[tuple[float, float]]:
    """``[(start_s, end_s), ...]`` talk segments covering a clip of ``duration_s`` seconds."""
    segments, time, talking = [], 0.0, bool(rng.random() < 0.7)
    while time < duration_s:
        length = 0.4 + rng.exponential((talk_mean_s if talking else pause_mean_s) - 0.4)
        if talking:
            segments.append((time, min(time + length, duration_s)))
        time += length
        talking = not talking
    return segments


def segment_mask(segments: list[tuple[float, float]], times: np.ndarray) -> np.ndarray:
    """``(len(times),)`` bool: whether each time falls inside a segment."""
    mask = np.zeros(len(times), dtype=bool)
    for start, end in segments:
        mask |= (times >= start) & (times < end)
    return mask


def voiced_audio(
    rng: np.random.Generator,
    segments: list[tuple[float, float]],
    arousal: np.ndarray,
    *,
    f0: float,
    level: float,
    num_samples: int,
    sample_rate: int,
) -> np.ndarray:
    """``(num_samples,)`` float audio: voiced sound in ``segments`` with pitch/energy following ``arousal (T,)``."""
    times = np.arange(num_samples) / sample_rate
    frame_times = np.arange(len(arousal)) / FPS
    arousal_t = np.interp(times, frame_times, arousal)
    intonation = 0.06 * np.interp(times, frame_times, smooth_noise(rng, (len(arousal),), 8.0))
    pitch = f0 * (1.0 + 0.25 * arousal_t + intonation) * (1.0 + 0.03 * np.sin(2 * np.pi * 5.5 * times))
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    source = sum(np.sin(k * phase) / k for k in range(1, 9)) / 1.3

    ramp = 0.02 * sample_rate
    envelope = np.zeros(num_samples)
    for start, end in segments:
        first, last = int(start * sample_rate), min(int(end * sample_rate), num_samples)
        index = np.arange(first, last)
        envelope[first:last] = np.minimum(1.0, np.minimum(index - first + 1, last - index) / ramp)
    syllables = 0.55 + 0.45 * np.abs(np.sin(np.pi * 3.5 * times + rng.uniform(0, np.pi)))
    energy = level * (0.12 + 0.09 * (arousal_t + 1.0))
    return envelope * energy * syllables * source + NOISE_FLOOR * rng.standard_normal(num_samples)


def sample_speaker(
    rng: np.random.Generator, person: Person, config: SynthConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One speaker clip: ``(emotion (F, 25), threedmm (F, 58), audio (L,))``, ``L = F * sample_rate / FPS``."""
    frames = config.file_frames
    num_samples = frames * config.sample_rate // FPS
    segments = talk_segments(rng, frames / FPS, talk_mean_s=config.talk_mean_s, pause_mean_s=config.pause_mean_s)
    talk = segment_mask(segments, np.arange(frames) / FPS).astype(np.float64)  # (F,)

    sigma = config.speaker_affect_smoothing_s * FPS
    valence = np.tanh(person.valence_mood + 0.7 * smooth_noise(rng, (frames,), sigma))
    arousal = np.tanh(person.arousal_mood + 0.7 * smooth_noise(rng, (frames,), sigma) + 0.3 * talk)

    au_drive = np.zeros((frames, NUM_AU))
    au_drive[:, AU_INDEX["AU25"]] = 3.0 * talk
    au_drive[:, AU_INDEX["AU26"]] = 1.5 * talk
    emotion = emotion_from_affect(valence, arousal, au_drive=au_drive, expressiveness=person.expressiveness, rng=rng)
    rotation, translation = head_pose(rng, (frames,), amplitude=1.0 + 0.5 * arousal.mean())
    threedmm = threedmm_from_emotion(
        emotion, rotation=rotation, translation=translation, expressiveness=person.expressiveness, rng=rng
    )
    audio = voiced_audio(
        rng, segments, arousal, f0=person.f0, level=1.0, num_samples=num_samples, sample_rate=config.sample_rate
    )
    return emotion, threedmm, audio
