"""The conversation process: person traits, the shared turn schedule, underlying affect, and how a
person's face follows from them (docs/data.md, "The synthetic dyadic dataset").

A dyad clip has two persons, A and B, and one shared schedule: the floor passes from one to the
other in turns; the holder voices in chunks separated by short internal pauses and ends its turn
with a short gap of silence. Each person X has an underlying affect ``u_X (T, 2)`` (valence and
arousal before tanh: its mood plus slow noise) and shows, at frame t:

- holding the floor: ``v = tanh(u_X^v)``, ``a = tanh(u_X^a + talk_arousal * voicing)``;
- listening: ``v = tanh(mood_X^v + gv_X u_P^v(t - lag_X) + n^v)``,
  ``a = tanh(mood_X^a + listen_arousal + ga_X u_P^a(t - lag_X) + n^a)`` (P the partner, n private);
  smile mimicry adds ``3 m_X`` / ``2 m_X`` times ``max(0, tanh(u_P^v(t - lag_X)))`` to the AU12 / AU6
  logits; a backchannel (nod, brief smile, "mm-hm" lips) comes ``lag_X`` after each of the partner's
  pause onsets, unless X holds the floor by then or its last backchannel came less than
  ``refractory_X`` earlier (a deterministic rule);
- voicing drives AU25 / AU26.

The partner's *underlying* affect (what it shows while it holds the floor) is what a listener
follows, never the partner's private noise: so a person's clip depends on the other person only
through the schedule and ``u``, and extra reactions of a listener (new private noise, same
everything else) are draws of the true process for the very same speaker clip.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.signal import lfilter

from react_bench.constants import FPS, NUM_AU
from react_bench.data.synth.config import ConversationConfig, ListenerConfig
from react_bench.data.synth.face import (
    AU_INDEX, WARMUP_FRAMES, causal_smooth, emotion_from_affect, private_noise, threedmm_from_emotion,
)

_NOD = np.sin(2 * np.pi * np.arange(20) / 10) * np.hanning(20)  # two down-up cycles in 0.8 s
_SMILE = np.full(12, 2.5)  # AU12 drive of a backchannel, 0.5 s
_MOUTH = np.full(10, 3.5)  # AU25 drive of the "mm-hm", 0.4 s
BACKCHANNEL_FRAMES = len(_MOUTH)
"""Frames of the quiet "mm-hm" a backchannel voices (its audio, below the talk threshold)."""


@dataclass(frozen=True)
class Traits:
    """A person's traits, fixed over all its clips; each field an array of the batch shape (or a scalar)."""

    f0: np.ndarray  # base voice pitch, Hz
    valence_mood: np.ndarray  # offset of all its valence (before tanh)
    arousal_mood: np.ndarray
    expressiveness: np.ndarray
    lag: np.ndarray  # reaction lag, frames (int)
    valence_gain: np.ndarray
    arousal_gain: np.ndarray
    mimicry: np.ndarray
    refractory: np.ndarray  # frames between backchannels, at least (int)

    @classmethod
    def sample(cls, rng: np.random.Generator, config: ListenerConfig, shape: tuple[int, ...] = ()) -> "Traits":
        """Traits drawn from the prior of ``config`` (the draw order is part of the dataset's bytes)."""
        return cls(
            f0=rng.uniform(95.0, 230.0, size=shape),
            valence_mood=rng.normal(0.0, config.mood_sd, size=shape),
            arousal_mood=rng.normal(0.0, config.mood_sd, size=shape),
            expressiveness=rng.uniform(*config.expressiveness, size=shape),
            lag=np.round(rng.uniform(*config.lag_s, size=shape) * FPS).astype(np.int64),
            valence_gain=rng.uniform(*config.valence_gain, size=shape),
            arousal_gain=rng.uniform(*config.arousal_gain, size=shape),
            mimicry=rng.uniform(*config.mimicry, size=shape),
            refractory=np.round(rng.uniform(*config.refractory_s, size=shape) * FPS).astype(np.int64),
        )

    def broadcast(self, shape: tuple[int, ...]) -> "Traits":
        """The same traits as arrays of ``shape`` (one person, several draws)."""
        return Traits(**{f.name: np.broadcast_to(getattr(self, f.name), shape) for f in fields(self)})

    def as_record(self) -> dict:
        return {f.name: np.asarray(getattr(self, f.name)).tolist() for f in fields(self)}


@dataclass(frozen=True)
class Schedule:
    """Who holds the floor and who voices, frame by frame.

    Attributes:
        floor: ``(T,)`` int8, 0 when person A holds the floor, 1 for B.
        voice: ``(2, T)`` bool, person A / B voicing (speech; backchannels are not speech).
    """

    floor: np.ndarray
    voice: np.ndarray


def _frames(seconds: float) -> int:
    return max(1, int(round(seconds * FPS)))


def fill_turn(rng: np.random.Generator, frames: int, config: ConversationConfig) -> np.ndarray:
    """``(frames,)`` bool voicing of a turn of known length: voiced chunks with internal pauses, then the
    closing gap. (The Oracle fills a partner's turn it only knows the extent of.)"""
    gap = _frames(rng.uniform(*config.gap_s))
    voice = np.zeros(frames, dtype=bool)
    t, end = 0, max(frames - gap, 1)
    while t < end:
        chunk = _frames(0.8 + rng.exponential(config.chunk_mean_s))
        voice[t : min(t + chunk, end)] = True
        t += chunk + _frames(rng.uniform(*config.pause_s))
    return voice


def _turn(rng: np.random.Generator, config: ConversationConfig) -> np.ndarray:
    """Voicing of one whole turn: a voiced total drawn from the turn prior, chunked, then the gap."""
    target = _frames(config.turn_min_s + rng.exponential(config.turn_mean_s))
    parts, voiced = [], 0
    while voiced < target:
        chunk = min(_frames(0.8 + rng.exponential(config.chunk_mean_s)), target - voiced)
        parts.append(np.ones(chunk, dtype=bool))
        voiced += chunk
        if voiced < target:
            parts.append(np.zeros(_frames(rng.uniform(*config.pause_s)), dtype=bool))
    parts.append(np.zeros(_frames(rng.uniform(*config.gap_s)), dtype=bool))
    return np.concatenate(parts)


def sample_schedule(rng: np.random.Generator, frames: int, config: ConversationConfig) -> Schedule:
    """The shared turn schedule of one dyad clip; the clip starts at a random point of a turn."""
    holder = int(rng.integers(2))
    floor = np.zeros(frames, dtype=np.int8)
    voice = np.zeros((2, frames), dtype=bool)
    t = -int(rng.integers(0, 4 * FPS))
    while t < frames:
        turn = _turn(rng, config)
        lo, hi = max(t, 0), min(t + len(turn), frames)
        if hi > lo:
            floor[lo:hi] = holder
            voice[holder, lo:hi] = turn[lo - t : hi - t]
        t += len(turn)
        holder = 1 - holder
    return Schedule(floor=floor, voice=voice)


def sample_affect(
    rng: np.random.Generator, moods: np.ndarray, frames: int, config: ConversationConfig
) -> np.ndarray:
    """``(2, T, 2)`` underlying (valence, arousal) of both persons: ``moods (2, 2)`` plus slow noise."""
    white = rng.standard_normal((2, WARMUP_FRAMES + frames, 2))
    slow = causal_smooth(white, config.affect_smoothing_s)[:, WARMUP_FRAMES:]
    return moods[:, None, :] + config.affect_sd * slow


def backchannel_events(
    partner_voice: np.ndarray, holds_floor: np.ndarray, lag: np.ndarray, refractory: np.ndarray
) -> np.ndarray:
    """``(B, T)`` 0/1 backchannel starts by the deterministic rule (module docstring), frame by frame.

    ``partner_voice``, ``holds_floor`` ``(B, T)`` bool (the listener holding the floor); ``lag``,
    ``refractory`` ``(B,)`` int frames. Causal: a start at f depends on frames <= f.
    """
    batch, frames = partner_voice.shape
    onsets = np.zeros((batch, frames), dtype=bool)
    onsets[:, 1:] = partner_voice[:, :-1] & ~partner_voice[:, 1:]
    events = np.zeros((batch, frames))
    last = np.full(batch, -(10**9))
    rows = np.arange(batch)
    for t in np.flatnonzero(onsets.any(axis=0)):
        start = t + lag
        fire = onsets[:, t] & (t - last >= refractory) & (start < frames)
        fire[fire] &= ~holds_floor[rows[fire], start[fire]]
        last[fire] = t
        events[rows[fire], start[fire]] = 1.0
    return events


def lagged(x: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """``x (B, T, ...)`` delayed by ``lag (B,)`` frames, holding frame 0 before the start."""
    frames = x.shape[1]
    source = np.clip(np.arange(frames)[None, :] - lag[:, None], 0, None)  # (B, T)
    return x[np.arange(len(x))[:, None], source]


def express(
    traits: Traits,
    *,
    holds_floor: np.ndarray,
    voice: np.ndarray,
    own_affect: np.ndarray,
    partner_affect: np.ndarray,
    partner_voice: np.ndarray,
    white: np.ndarray,
    listener: ListenerConfig,
    conversation: ConversationConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One person's face in a dyad clip, for a batch of B draws.

    Args:
        traits: the person's traits, fields of shape ``(B,)``.
        holds_floor, voice, partner_voice: ``(B, T)`` bool.
        own_affect, partner_affect: ``(B, T, 2)`` underlying (valence, arousal) of the person and the partner.
        white: ``(B, WARMUP_FRAMES + T, 83)`` private white noise (:class:`NoiseStream`).

    Returns:
        ``(emotion (B, T, 25), threedmm (B, T, 58), backchannel starts (B, T))``, float64.
    """
    noise = private_noise(white, listener)
    per_frame = lambda x: x[:, None] if np.ndim(x) == 1 else x  # noqa: E731  a mood may vary over time (the Oracle's)
    follow = lagged(partner_affect, traits.lag)  # (B, T, 2)
    talking = voice.astype(np.float64)
    listen_v = np.tanh(per_frame(traits.valence_mood) + traits.valence_gain[:, None] * follow[..., 0] + noise["va"][..., 0])
    listen_a = np.tanh(
        per_frame(traits.arousal_mood) + conversation.listen_arousal
        + traits.arousal_gain[:, None] * follow[..., 1] + noise["va"][..., 1]
    )
    valence = np.where(holds_floor, np.tanh(own_affect[..., 0]), listen_v)
    arousal = np.where(holds_floor, np.tanh(own_affect[..., 1] + conversation.talk_arousal * talking), listen_a)

    events = backchannel_events(partner_voice, holds_floor, traits.lag, traits.refractory)
    smile_bc = lfilter(_SMILE, [1.0], events, axis=-1)
    mouth_bc = lfilter(_MOUTH, [1.0], events, axis=-1)
    nod = listener.nod_amplitude * lfilter(_NOD, [1.0], events, axis=-1)
    mimic = traits.mimicry[:, None] * np.maximum(0.0, np.tanh(follow[..., 0])) * ~holds_floor  # (B, T)

    au_drive = np.zeros((*voice.shape, NUM_AU))
    au_drive[..., AU_INDEX["AU12"]] = 3.0 * mimic + smile_bc
    au_drive[..., AU_INDEX["AU6"]] = 2.0 * mimic + 0.5 * smile_bc
    au_drive[..., AU_INDEX["AU25"]] = 3.0 * talking + mouth_bc
    au_drive[..., AU_INDEX["AU26"]] = 1.5 * talking
    emotion = emotion_from_affect(
        valence, arousal, au_drive=au_drive, expressiveness=traits.expressiveness,
        au_noise=noise["au"], fe_noise=noise["fe"],
    )
    threedmm = threedmm_from_emotion(emotion, noise=noise, expressiveness=traits.expressiveness, nod=nod)
    return emotion, threedmm, events
