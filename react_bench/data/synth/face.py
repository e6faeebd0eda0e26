"""The synthetic face: from latent affect (valence, arousal) and per-AU drives to the 25 emotion
channels and the 58 3DMM coefficients. Shared by speakers and listeners.

- AU i is on when ``e * (wv_i * v + wa_i * a) + b_i + drive_i + noise_i > 0`` (table
  :data:`AU_AFFECT`; ``e`` the person's expressiveness, the noise smooth over ~0.15 s so AUs
  do not flicker frame to frame).
- Expression probabilities are a softmax of logits linear in ``(v, a, |v|, 1)`` (table
  :data:`FE_AFFECT`) plus smooth noise: high valence -> Happy, low valence and high arousal ->
  Anger/Fear, low affect -> Neutral.
- 3DMM expression coefficients are a fixed linear map (seeded by :data:`FACE_MODEL_SEED`,
  the same for every dataset) of the lightly smoothed AUs and of valence/arousal, plus small
  noise; rotation and translation are smooth head motion supplied by the caller.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

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


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, ...], sigma_frames: float, *, axis: int = -1
) -> np.ndarray:
    """Unit-variance Gaussian noise low-passed along ``axis`` with a Gaussian of ``sigma_frames``."""
    white = rng.standard_normal(shape)
    if sigma_frames <= 0:
        return white
    # A Gaussian kernel of std s has sum of squares 1 / (2 sqrt(pi) s): rescale back to unit variance.
    smooth = gaussian_filter1d(white, sigma_frames, axis=axis, mode="reflect")
    return smooth * np.sqrt(2.0 * np.sqrt(np.pi) * sigma_frames)


def emotion_from_affect(
    valence: np.ndarray,
    arousal: np.ndarray,
    *,
    au_drive: np.ndarray,
    expressiveness: np.ndarray | float,
    rng: np.random.Generator,
    au_noise_sd: float = 0.8,
    fe_noise_sd: float = 0.3,
) -> np.ndarray:
    """``(..., T, 25)`` emotion channels from ``(..., T)`` valence/arousal in [-1, 1] and ``(..., T, 15)`` AU drives."""
    gain = np.asarray(expressiveness, dtype=np.float64)[..., None, None]
    affect = np.stack([valence, arousal], axis=-1)  # (..., T, 2)
    au_logits = gain * (affect @ AU_AFFECT[:, :2].T) + AU_AFFECT[:, 2] + au_drive
    au_logits = au_logits + au_noise_sd * smooth_noise(rng, au_logits.shape, 4.0, axis=-2)
    aus = (au_logits > 0).astype(np.float64)  # (..., T, 15)

    fe_inputs = np.stack([valence, arousal, np.abs(valence)], axis=-1)  # (..., T, 3)
    fe_logits = gain * (fe_inputs @ FE_AFFECT[:, :3].T) + FE_AFFECT[:, 3]
    fe_logits = fe_logits + fe_noise_sd * smooth_noise(rng, fe_logits.shape, 6.0, axis=-2)
    fe_logits -= fe_logits.max(axis=-1, keepdims=True)
    expressions = np.exp(fe_logits)
    expressions /= expressions.sum(axis=-1, keepdims=True)  # (..., T, 8)

    emotion = np.concatenate([aus, np.clip(affect, -1.0, 1.0), expressions], axis=-1)
    return emotion


def threedmm_from_emotion(
    emotion: np.ndarray,
    *,
    rotation: np.ndarray,
    translation: np.ndarray,
    expressiveness: np.ndarray | float,
    rng: np.random.Generator,
) -> np.ndarray:
    """``(..., T, 58)`` 3DMM coefficients: fixed map of ``emotion (..., T, 25)`` + head pose ``(..., T, 3)`` x2."""
    gain = np.asarray(expressiveness, dtype=np.float64)[..., None, None]
    aus = gaussian_filter1d(emotion[..., :NUM_AU], 1.5, axis=-2, mode="nearest")  # onsets take ~2 frames
    affect = emotion[..., NUM_AU : NUM_AU + 2]
    expression = gain * (aus @ _EXPRESSION_FROM_AU + affect @ _EXPRESSION_FROM_VA)
    expression = expression + 0.02 * smooth_noise(rng, expression.shape, 2.0, axis=-2)
    threedmm = np.concatenate([expression, rotation, translation], axis=-1)
    return threedmm


def head_pose(
    rng: np.random.Generator, shape: tuple[int, ...], *, amplitude: np.ndarray | float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth ``(rotation, translation)``, each ``(*shape, 3)``, for ``shape = (..., T)``."""
    gain = np.asarray(amplitude, dtype=np.float64)[..., None, None]
    rotation = smooth_noise(rng, (*shape, 3), 12.0, axis=-2) * np.array([0.05, 0.08, 0.03]) * gain
    translation = smooth_noise(rng, (*shape, 3), 50.0, axis=-2) * np.array([0.01, 0.01, 0.02])
    return rotation, translation
