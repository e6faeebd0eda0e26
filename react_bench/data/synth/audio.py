"""A person's voice in a dyad clip: speech while voicing, a quiet "mm-hm" at each backchannel.

The audio is a harmonic source (8 harmonics, amplitude 1/k) whose pitch is the person's f0 times
``1 + 0.25 * arousal`` and whose energy is ``0.12 + 0.09 * (arousal + 1)`` (syllable-rate
modulation, 20 ms ramps). Backchannels are voiced at :data:`BACKCHANNEL_LEVEL` of that energy,
below the talk threshold (frame RMS at most ~0.012 against 0.02), so a person's talk mask from
audio is its speech only; silence is a -66 dBFS noise floor.
"""

from __future__ import annotations

import numpy as np

from react_bench.constants import FPS
from react_bench.data.synth.face import WARMUP_FRAMES, causal_smooth

NOISE_FLOOR = 0.0005
"""Standard deviation of the background noise of every wav (about -66 dBFS)."""

BACKCHANNEL_LEVEL = 0.06
"""Energy of a "mm-hm" relative to speech."""


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` frame ranges of the runs of True in a ``(T,)`` mask."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def voiced_audio(
    rng: np.random.Generator,
    level: np.ndarray,
    arousal: np.ndarray,
    *,
    f0: float,
    num_samples: int,
    sample_rate: int,
) -> np.ndarray:
    """``(num_samples,)`` float audio: voice with per-frame ``level (T,)`` (1 speech, 0 silence) and
    pitch/energy following ``arousal (T,)``."""
    frames = len(arousal)
    times = np.arange(num_samples) / sample_rate
    frame_times = np.arange(frames) / FPS
    arousal_t = np.interp(times, frame_times, arousal)
    intonation_frames = causal_smooth(rng.standard_normal((WARMUP_FRAMES + frames, 1)), 0.6)[WARMUP_FRAMES:, 0]
    intonation = 0.06 * np.interp(times, frame_times, intonation_frames)
    pitch = f0 * (1.0 + 0.25 * arousal_t + intonation) * (1.0 + 0.03 * np.sin(2 * np.pi * 5.5 * times))
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    source = sum(np.sin(k * phase) / k for k in range(1, 9)) / 1.3

    ramp = 0.02 * sample_rate
    samples_per_frame = sample_rate // FPS
    envelope = np.zeros(num_samples)
    for value in np.unique(level[level > 0]):
        for start, stop in runs(level == value):
            first, last = start * samples_per_frame, min(stop * samples_per_frame, num_samples)
            index = np.arange(first, last)
            envelope[first:last] = value * np.minimum(1.0, np.minimum(index - first + 1, last - index) / ramp)
    syllables = 0.55 + 0.45 * np.abs(np.sin(np.pi * 3.5 * times + rng.uniform(0, np.pi)))
    energy = 0.12 + 0.09 * (arousal_t + 1.0)
    return envelope * energy * syllables * source + NOISE_FLOOR * rng.standard_normal(num_samples)


def voice_level(voice: np.ndarray, backchannels: np.ndarray, backchannel_frames: int) -> np.ndarray:
    """``(T,)`` level: 1 while voicing, :data:`BACKCHANNEL_LEVEL` during a "mm-hm", else 0."""
    mm = np.convolve(backchannels, np.ones(backchannel_frames))[: len(voice)] > 0
    return np.where(voice, 1.0, np.where(mm, BACKCHANNEL_LEVEL, 0.0))
