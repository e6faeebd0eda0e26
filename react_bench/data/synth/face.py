"""The synthetic face: from latent affect (valence, arousal) and per-AU drives to the 25 emotion
channels and the 58 3DMM coefficients. Shared by speakers and listeners.

- AU i is on when ``e * (wv_i * v + wa_i * a) + b_i + drive_i + noise_i > 0`` (table
  :data:`AU_AFFECT`; ``e`` the person's expressiveness, the noise causally smoothed over
  ~0.15 s so AUs do not flicker frame to frame).
- Expression probabilities are a softmax of logits linear in ``(v, a, |v|, 1)`` (table
  :data:`FE_AFFECT`) plus smooth noise: high valence -> Happy, low valence and high arousal ->
  Anger/Fear, low affect -> Neutral.
- 3DMM expression coefficients are a fixed linear map (seeded by :data:`FACE_MODEL_SEED`,
  the same for every dataset) of the lightly smoothed AUs and of valence/arousal, plus small
  noise; rotation and translation are smooth head motion.

Every random part is *causal*: white noise drawn in advance (:class:`NoiseStream`, time-major, so
frame t's noise does not depend on how many frames are asked for) is low-passed with recursive
filters (:func:`causal_smooth`). Frame t of a face therefore depends only on its inputs and noise
up to frame t, which is what lets the Oracle run online with the same frames as offline.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from react_bench.constants import EXPRESSION_SLICE, NUM_AU

FACE_MODEL_SEED = 20240
"""Seed of the fixed AU/affect -> 3DMM map (a property of the synthetic face, not of a dataset)."""

# (valence weight, arousal weight, bias) of each AU logit, in AU_NAMES order.
AU_AFFECT = np.array([
    [-0.5, 1.5, -1.4],  # AU1 inner brow raiser
    [0.0, 1.5, -1.5],   # AU2 outer brow raiser
    [-2.0, 0.3, -1.3],  # AU4 brow lowerer
    [2.5, 0.2, -1.2],   # AU6 cheek raiser
    [-1.0, 0.5, -1.3],  # AU7 lid tightener
    [-1.5, 0.0, -1.9],  # AU9 nose wrinkler
    [-1.2, 0.0, -1.7],  # AU10 upper lip raiser
    [3.0, 0.2, -0.7],   # AU12 lip corner puller (smile)
    [0.8, 0.0, -1.6],   # AU14 dimpler
    [-2.0, -0.3, -1.6], # AU15 lip corner depressor
    [-1.0, 0.0, -1.5],  # AU17 chin raiser
    [-1.0, 0.5, -1.7],  # AU23 lip tightener
    [-0.8, 0.0, -1.7],  # AU24 lip pressor
    [0.3, 1.0, -1.8],   # AU25 lips part (talk and backchannels drive it)
    [0.0, 1.0, -2.2],   # AU26 jaw drop
])

# (valence, arousal, |valence|, bias) of each expression logit, in FE_NAMES order.
FE_AFFECT = np.array([
    [0.0, -1.0, -2.5, 1.5],   # Neutral
    [3.0, 0.5, 0.0, -0.5],    # Happy
    [-2.5, -1.0, 0.0, -0.8],  # Sad
    [0.3, 2.5, 0.0, -1.2],    # Surprise
    [-1.5, 2.0, 0.0, -1.8],   # Fear
    [-2.0, 0.0, 0.0, -1.8],   # Disgust
    [-2.0, 1.5, 0.0, -1.8],   # Anger
    [-1.0, 0.0, 0.0, -1.8],   # Contempt
])

AU_INDEX = {"AU6": 3, "AU12": 7, "AU25": 13, "AU26": 14}
"""Positions (within the 15 AUs) of the AUs the speaker and listener processes drive directly."""

_map_rng = np.random.default_rng(FACE_MODEL_SEED)
_EXPRESSION_FROM_AU = _map_rng.normal(0.0, 0.6, size=(NUM_AU, EXPRESSION_SLICE.stop))  # (15, 52)
_EXPRESSION_FROM_VA = _map_rng.normal(0.0, 0.3, size=(2, EXPRESSION_SLICE.stop))  # (2, 52)
del _map_rng


WARMUP_FRAMES = 100
"""White-noise frames drawn before frame 0 and dropped after filtering, so smoothed noise starts stationary."""

NOISE_BLOCK_FRAMES = 256
"""A :class:`NoiseStream` draws white noise in blocks of this many frames (a fixed grid, never the request size)."""

# Channels of one person's private white noise, (..., frames, PRIVATE_NOISE_DIM).
PRIVATE_NOISE = {
    "va": slice(0, 2),  # listening valence/arousal
    "au": slice(2, 17),  # 15 AU logits
    "fe": slice(17, 25),  # 8 expression logits
    "expression": slice(25, 77),  # 52 3DMM expression coefficients
    "rotation": slice(77, 80),
    "translation": slice(80, 83),
}
PRIVATE_NOISE_DIM = 83


class NoiseStream:
    """White noise ``(*shape, frames, dim)`` drawn lazily in fixed time-major blocks from ``rng``.

    ``stream.get(n)`` returns the first ``WARMUP_FRAMES + n`` frames; asking for more frames later
    extends the buffer without changing the frames already handed out (the online prefix property).
    """

    def __init__(self, rng: np.random.Generator, shape: tuple[int, ...], dim: int = PRIVATE_NOISE_DIM) -> None:
        self._rng, self._shape, self._dim = rng, tuple(shape), dim
        self._blocks: list[np.ndarray] = []

    def get(self, frames: int) -> np.ndarray:
        needed = WARMUP_FRAMES + frames
        while sum(len(b) for b in self._blocks) < needed:
            block = self._rng.standard_normal((NOISE_BLOCK_FRAMES, *self._shape, self._dim))  # time-major
            self._blocks.append(block)
        white = np.concatenate(self._blocks)[:needed]  # (W + F, *shape, dim)
        return np.moveaxis(white, 0, -2)  # (*shape, W + F, dim)


def _poles(tau_frames: float) -> tuple[float, float]:
    """Pole and unit-variance gain of two cascaded one-pole low-passes of time constant ``tau_frames``."""
    a = float(np.exp(-1.0 / tau_frames))
    impulse = lfilter([1.0 - a], [1.0, -a], lfilter([1.0 - a], [1.0, -a], np.eye(1, 20 * int(tau_frames) + 50)[0]))
    return a, 1.0 / float(np.sqrt(np.sum(impulse**2)))


def causal_smooth(white: np.ndarray, smoothing_s: float, *, axis: int = -2, fps: int = 25) -> np.ndarray:
    """Unit-variance noise: ``white`` low-passed along ``axis`` by two one-pole filters of time constant
    ``smoothing_s / 2`` (an impulse response ``t exp(-2 t / smoothing_s)``, about ``smoothing_s`` wide).

    Causal: output frame t depends on input frames <= t only.
    """
    tau = max(smoothing_s * fps / 2.0, 0.5)
    a, gain = _poles(tau)
    once = lfilter([1.0 - a], [1.0, -a], white, axis=axis)
    return gain * lfilter([1.0 - a], [1.0, -a], once, axis=axis)


def smooth_autocorrelation(smoothing_s: float, lags: np.ndarray, *, fps: int = 25) -> np.ndarray:
    """Autocorrelation of :func:`causal_smooth` noise at integer frame ``lags`` (for the Oracle's predictions)."""
    tau = max(smoothing_s * fps / 2.0, 0.5)
    a = np.exp(-1.0 / tau)
    k = np.abs(np.asarray(lags, dtype=np.float64))
    # Two cascaded AR(1) poles a: rho(k) = a^k (1 + k (1 - a^2) / (1 + a^2)).
    return a**k * (1.0 + k * (1.0 - a * a) / (1.0 + a * a))


def private_noise(white: np.ndarray, config) -> dict[str, np.ndarray]:
    """Smoothed private noise of one person from ``white (..., W + F, 83)``: name -> ``(..., F, k)``.

    ``config`` is a :class:`ListenerConfig` (noise sizes and time scales).
    """
    scales = {
        "va": (config.va_noise_sd, config.va_noise_s),
        "au": (config.au_noise_sd, config.au_noise_s),
        "fe": (config.fe_noise_sd, config.fe_noise_s),
        "expression": (0.02, 0.08),
        "rotation": (1.0, 0.5),
        "translation": (1.0, 2.0),
    }
    out = {}
    for name, part in PRIVATE_NOISE.items():
        sd, seconds = scales[name]
        out[name] = sd * causal_smooth(white[..., part], seconds)[..., WARMUP_FRAMES:, :]
    return out


def emotion_from_affect(
    valence: np.ndarray,
    arousal: np.ndarray,
    *,
    au_drive: np.ndarray,
    expressiveness: np.ndarray | float,
    au_noise: np.ndarray,
    fe_noise: np.ndarray,
) -> np.ndarray:
    """``(..., T, 25)`` emotion channels from ``(..., T)`` valence/arousal in [-1, 1], ``(..., T, 15)``
    AU drives and smoothed noise ``au_noise (..., T, 15)``, ``fe_noise (..., T, 8)``."""
    gain = np.asarray(expressiveness, dtype=np.float64)[..., None, None]
    affect = np.stack([valence, arousal], axis=-1)  # (..., T, 2)
    au_logits = gain * (affect @ AU_AFFECT[:, :2].T) + AU_AFFECT[:, 2] + au_drive + au_noise
    aus = (au_logits > 0).astype(np.float64)  # (..., T, 15)

    fe_inputs = np.stack([valence, arousal, np.abs(valence)], axis=-1)  # (..., T, 3)
    fe_logits = gain * (fe_inputs @ FE_AFFECT[:, :3].T) + FE_AFFECT[:, 3] + fe_noise
    fe_logits -= fe_logits.max(axis=-1, keepdims=True)
    expressions = np.exp(fe_logits)
    expressions /= expressions.sum(axis=-1, keepdims=True)  # (..., T, 8)
    return np.concatenate([aus, np.clip(affect, -1.0, 1.0), expressions], axis=-1)


def threedmm_from_emotion(
    emotion: np.ndarray,
    *,
    noise: dict[str, np.ndarray],
    expressiveness: np.ndarray | float,
    nod: np.ndarray | float = 0.0,
) -> np.ndarray:
    """``(..., T, 58)`` 3DMM coefficients: a fixed map of ``emotion (..., T, 25)`` plus head pose.

    ``noise`` is :func:`private_noise`'s dict; ``nod (..., T)`` is added to the head pitch.
    """
    gain = np.asarray(expressiveness, dtype=np.float64)[..., None, None]
    # AU onsets take ~2 frames on a face: a causal one-pole low-pass.
    aus = lfilter([0.5], [1.0, -0.5], emotion[..., :NUM_AU], axis=-2)
    affect = emotion[..., NUM_AU : NUM_AU + 2]
    expression = gain * (aus @ _EXPRESSION_FROM_AU + affect @ _EXPRESSION_FROM_VA) + noise["expression"]
    rotation = noise["rotation"] * np.array([0.05, 0.08, 0.03]) * gain
    rotation[..., 0] = rotation[..., 0] + nod
    translation = noise["translation"] * np.array([0.01, 0.01, 0.02])
    return np.concatenate([expression, rotation, translation], axis=-1)
