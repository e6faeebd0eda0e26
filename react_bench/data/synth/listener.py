"""The true listener process of the synthetic dataset.

A listener reacts only to what anyone can observe of the speaker: the speaker's emotion
sequence (valence, arousal, smile AU12) and the talk mask computed from the speaker's wav
(frame RMS above ``talk_threshold``). Everything else is the listener's own random style and
noise, drawn afresh by :func:`sample_listener_reactions`. So the generator (which calls this
function for every dyad) and an "oracle" submission (which calls it again) sample from the
same conditional distribution p(listener | observed speaker).

For a listener with style (lag ``L``, valence gain ``gv``, arousal gain ``ga``, mimicry ``m``,
expressiveness ``e``, backchannel probability ``p``, mood ``(v0, a0)``), at frame ``t``:

- valence ``tanh(v0 + 1.2 gv v_s(t - L) + noise)``, arousal ``tanh(a0 - 0.2 + ga a_s(t - L) + noise)``
  (noise smooth over 1.5 s, sd ``noise_sd``);
- smile mimicry: the AU12/AU6 logits get ``3 m`` / ``2 m`` times the speaker's smoothed AU12 at
  ``t - L``;
- backchannels: at each speaker pause onset, with probability ``p``, ``L`` frames later the
  listener nods (two pitch cycles in 0.8 s, ``nod_amplitude`` rad), smiles briefly (AU12, 0.5 s)
  and parts the lips (AU25, 0.4 s, the "mm-hm");
- the face (:mod:`react_bench.data.synth.face`) turns this affect and these drives into emotion
  channels and 3DMM coefficients, scaled by ``e``.

Different styles give different reactions to the same speaker: the one-to-many nature of the task.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import lfilter

from react_bench.constants import AU_SLICE, EMOTION_DIM, FEATURE_SAMPLE_RATE, FPS, NUM_AU, VA_SLICE
from react_bench.data.synth.config import ListenerConfig
from react_bench.data.synth.face import AU_INDEX, emotion_from_affect, head_pose, smooth_noise, threedmm_from_emotion

SAMPLES_PER_FRAME = FEATURE_SAMPLE_RATE // FPS
"""Audio samples per video frame at 16 kHz (640)."""

_NOD = np.sin(2 * np.pi * np.arange(20) / 10) * np.hanning(20)  # two down-up cycles in 0.8 s
_SMILE = np.full(12, 3.0)  # AU12 drive for 0.5 s
_MOUTH = np.full(10, 3.5)  # AU25 drive for 0.4 s


def frame_rms(audio: np.ndarray, num_frames: int) -> np.ndarray:
    """``(T,)`` RMS of each 40 ms frame of ``(L,)`` 16 kHz audio (zero-padded or cut to ``T`` frames)."""
    audio = np.asarray(audio, dtype=np.float64).reshape(-1)[: num_frames * SAMPLES_PER_FRAME]
    audio = np.pad(audio, (0, num_frames * SAMPLES_PER_FRAME - len(audio)))
    return np.sqrt(np.mean(audio.reshape(num_frames, SAMPLES_PER_FRAME) ** 2, axis=1))


def talk_mask(audio: np.ndarray, num_frames: int, *, threshold: float = ListenerConfig.talk_threshold) -> np.ndarray:
    """``(T,)`` bool: frames where the speaker's 16 kHz audio is louder than ``threshold`` RMS."""
    return frame_rms(audio, num_frames) > threshold


def sample_listener_reactions(
    speaker_emotion: np.ndarray,
    speaker_audio: Sequence[np.ndarray] | np.ndarray,
    *,
    num_samples: int,
    rng: np.random.Generator,
    config: ListenerConfig | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``num_samples`` listener reactions per speaker from the true listener process.

    Args:
        speaker_emotion: ``(B, T, 25)`` speaker emotion channels (as read from the dataset).
        speaker_audio: B arrays ``(L,)`` (or one ``(B, L)`` array) of speaker audio at 16 kHz.
        num_samples: S, reactions per speaker; each has its own style and noise.
        rng: the source of all randomness (same state, same reactions).
        config: the listener process; the dataset's ``synthetic.json`` records the one it used.

    Returns:
        ``(emotion (B, S, T, 25), threedmm (B, S, T, 58))``, float32.
    """
    config = config or ListenerConfig()
    speaker_emotion = np.asarray(speaker_emotion)
    if speaker_emotion.ndim != 3 or speaker_emotion.shape[-1] != EMOTION_DIM:
        raise ValueError(
            f"speaker_emotion must be (B, T, {EMOTION_DIM}); got {speaker_emotion.shape}. "
            f"Add a batch axis with emotion[None] for a single speaker."
        )
    batch, frames, _ = speaker_emotion.shape
    if len(speaker_audio) != batch:
        raise ValueError(f"speaker_audio must hold one 16 kHz array per speaker ({batch}); got {len(speaker_audio)}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1; got {num_samples}")
    shape = (batch, num_samples)

    # What the listener observes of each speaker: (B, T) streams.
    speaker_emotion = speaker_emotion.astype(np.float64)
    valence_s = speaker_emotion[..., VA_SLICE.start]
    arousal_s = speaker_emotion[..., VA_SLICE.start + 1]
    smile_s = gaussian_filter1d(speaker_emotion[..., AU_SLICE.start + AU_INDEX["AU12"]], 3.0, axis=-1, mode="nearest")
    talk = np.stack([talk_mask(audio, frames, threshold=config.talk_threshold) for audio in speaker_audio])
    pause_onsets = np.zeros((batch, frames))
    pause_onsets[:, 1:] = talk[:, :-1] & ~talk[:, 1:]

    # The listener's style: one draw per (speaker, sample), shape (B, S).
    lag = np.round(rng.uniform(*config.lag_s, size=shape) * FPS).astype(np.int64)
    valence_gain = rng.uniform(*config.valence_gain, size=shape)
    arousal_gain = rng.uniform(*config.arousal_gain, size=shape)
    mimicry = rng.uniform(*config.mimicry, size=shape)
    expressiveness = rng.uniform(*config.expressiveness, size=shape)
    backchannel_prob = rng.uniform(*config.backchannel_prob, size=shape)
    valence_mood = rng.normal(0.0, config.baseline_sd, size=shape)
    arousal_mood = rng.normal(0.0, config.baseline_sd, size=shape)

    # Speaker streams delayed by each listener's lag (holding the first frame): (B, S, T).
    source = np.clip(np.arange(frames) - lag[..., None], 0, None)
    rows = np.arange(batch)[:, None, None]
    valence_lag, arousal_lag = valence_s[rows, source], arousal_s[rows, source]
    smile_lag, onsets_lag = smile_s[rows, source], pause_onsets[rows, source] * (source > 0)

    events = onsets_lag * (rng.random((*shape, frames)) < backchannel_prob[..., None])
    nod = config.nod_amplitude * lfilter(_NOD, [1.0], events, axis=-1)
    smile_bc = lfilter(_SMILE, [1.0], events, axis=-1)
    mouth_bc = lfilter(_MOUTH, [1.0], events, axis=-1)

    noise_sigma = 1.5 * FPS
    valence = np.tanh(
        valence_mood[..., None] + 1.2 * valence_gain[..., None] * valence_lag
        + config.noise_sd * smooth_noise(rng, (*shape, frames), noise_sigma)
    )
    arousal = np.tanh(
        arousal_mood[..., None] - 0.2 + arousal_gain[..., None] * arousal_lag
        + config.noise_sd * smooth_noise(rng, (*shape, frames), noise_sigma)
    )
    au_drive = np.zeros((*shape, frames, NUM_AU))
    au_drive[..., AU_INDEX["AU12"]] = 3.0 * mimicry[..., None] * smile_lag + smile_bc
    au_drive[..., AU_INDEX["AU6"]] = 2.0 * mimicry[..., None] * smile_lag + 0.5 * smile_bc
    au_drive[..., AU_INDEX["AU25"]] = mouth_bc

    emotion = emotion_from_affect(valence, arousal, au_drive=au_drive, expressiveness=expressiveness, rng=rng)
    rotation, translation = head_pose(rng, (*shape, frames), amplitude=expressiveness)
    rotation[..., 0] += nod
    threedmm = threedmm_from_emotion(
        emotion, rotation=rotation, translation=translation, expressiveness=expressiveness, rng=rng
    )
    return emotion.astype(np.float32), threedmm.astype(np.float32)
