"""``ridge``: a linear sanity baseline, closed-form ridge regression from lagged speaker features to
the listener's emotion.

Features at frame t (all causal: frames <= t only, so the online track is the offline model):

- the speaker's 25 emotion channels at each lag of :data:`LAGS` (frame 0 held before the start);
- the speaker's talk mask from its audio (frame RMS above ``TALK_THRESHOLD`` of
  :mod:`react_bench.data.features.acoustic`) at the same lags, and
  the length of the current silence (capped at 2 s, in seconds): in a conversation the listener
  talks when the speaker is silent long enough;
- the emotion lags again multiplied by a "long silence" indicator (silent for at least 0.8 s), so
  the model has separate coefficients for "the speaker talks" and "the listener talks";
- a constant.

The weights come from ``(X^T X + lambda n I) W = X^T Y`` (float64 sufficient statistics summed over
the training clips; the constant is not penalised), with lambda chosen on the validation split by
mean squared error over :data:`PENALTIES`. Predictions are clipped to the channel ranges (AUs and
expression probabilities to [0, 1], valence/arousal to [-1, 1]; expressions renormalised to sum 1).

Its S generations are its mean prediction, repeated: resampling residuals from other clips was
measured (issue 10's prototype) to lose on FRCorr and FRDist, since residuals that are not aligned
with the clip's turn structure only add noise. FRDiv is therefore 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from react_bench.constants import AU_SLICE, FE_SLICE, FPS, VA_SLICE
from react_bench.data.features.acoustic import MAX_SILENCE_S, silence_frames, talk_mask
from react_bench.errors import BadInputError
from react_bench.submissions import Reactions, Submission, register_submission
from react_bench.submissions.interface import _concat_batches

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset

LAGS = (0, 3, 6, 10, 15, 20, 28, 38)
"""Frames of history per feature (0 to 1.5 s, the range of reaction lags)."""

PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
"""Ridge penalties tried on val, per training row (lambda n)."""

_LONG_SILENCE = int(0.8 * FPS)


def features(emotion: np.ndarray, talk: np.ndarray) -> np.ndarray:
    """``(T, D)`` float64 causal features of one speaker: ``emotion (T, 25)``, ``talk (T,)`` bool (module docstring)."""
    frames = len(emotion)
    index = np.arange(frames)
    silence = silence_frames(talk).astype(np.float64)  # length of the current silence (causal)
    long_silence = (silence >= _LONG_SILENCE).astype(np.float64)[:, None]
    lagged = [emotion[np.clip(index - lag, 0, None)] for lag in LAGS]  # each (T, 25)
    talks = np.stack([talk[np.clip(index - lag, 0, None)] for lag in LAGS], axis=1).astype(np.float64)
    emotion_lags = np.concatenate(lagged, axis=1)  # (T, 25 * L)
    return np.concatenate([
        np.ones((frames, 1)), emotion_lags, talks, np.minimum(silence, MAX_SILENCE_S * FPS)[:, None] / FPS,
        long_silence, long_silence * emotion_lags,
    ], axis=1)


def _clip_to_ranges(y: np.ndarray) -> np.ndarray:
    """Predictions ``(..., 25)`` clipped to the channels' ranges; expressions renormalised."""
    y = y.copy()
    y[..., AU_SLICE] = np.clip(y[..., AU_SLICE], 0.0, 1.0)
    y[..., VA_SLICE] = np.clip(y[..., VA_SLICE], -1.0, 1.0)
    fe = np.clip(y[..., FE_SLICE], 1e-4, 1.0)
    y[..., FE_SLICE] = fe / fe.sum(axis=-1, keepdims=True)
    return y


def _statistics(dataset: "ReactDataset") -> tuple[np.ndarray, np.ndarray, int]:
    """``(X^T X (D, D), X^T Y (D, 25), rows)`` over every sample of ``dataset``, float64."""
    speaker, listener = dataset.emotion("speaker"), dataset.emotion("listener")
    xtx, xty, rows = None, None, 0
    for k in range(len(dataset)):
        x = features(speaker[k].astype(np.float64), talk_mask(dataset.audio(k, "speaker"), speaker.shape[1]))
        y = listener[k].astype(np.float64)
        xtx = x.T @ x if xtx is None else xtx + x.T @ x
        xty = x.T @ y if xty is None else xty + x.T @ y
        rows += len(x)
    return xtx, xty, rows


def _solve(xtx: np.ndarray, xty: np.ndarray, penalty: float) -> np.ndarray:
    ridge = penalty * np.eye(len(xtx))
    ridge[0, 0] = 0.0  # the constant is not shrunk
    return np.linalg.solve(xtx + ridge, xty)


@register_submission("ridge")
class Ridge(Submission):
    """Ridge regression from lagged speaker emotion and talk features to the listener emotion (mean prediction)."""

    needs_fit = True

    def fit(self, train, *, val=None, seed=0):
        # Closed form: the seed changes nothing (kept for the interface).
        xtx, xty, rows = _statistics(train)
        penalties = [p * rows for p in PENALTIES]
        chosen = penalties[len(penalties) // 2]
        if val is not None:
            speaker, listener = val.emotion("speaker"), val.emotion("listener")
            x_val = [features(speaker[k].astype(np.float64), talk_mask(val.audio(k, "speaker"), speaker.shape[1]))
                     for k in range(len(val))]
            errors = []
            for penalty in penalties:
                w = _solve(xtx, xty, penalty)
                errors.append(np.mean([np.mean((_clip_to_ranges(x @ w) - listener[k]) ** 2) for k, x in enumerate(x_val)]))
            chosen = penalties[int(np.argmin(errors))]
            self._val_mse = dict(zip(PENALTIES, (float(e) for e in errors)))
        self.load_state_dict({
            "weights": torch.from_numpy(_solve(xtx, xty, chosen)),
            "penalty": chosen / rows,
            "lags": list(LAGS),
        })

    def state_dict(self) -> dict:
        self._check_fitted()
        return {"weights": self._weights.clone(), "penalty": self._penalty, "lags": list(LAGS)}

    def load_state_dict(self, state: dict) -> None:
        if list(state.get("lags", [])) != list(LAGS):
            raise BadInputError(f"ridge state was fitted with lags {state.get('lags')}; this version uses {list(LAGS)}. Refit it.")
        self._weights = state["weights"].double().cpu()  # (D, 25)
        self._penalty = float(state["penalty"])

    def _check_fitted(self) -> None:
        if not hasattr(self, "_weights"):
            raise BadInputError("submission 'ridge' is not fitted: call fit(train) or load_state_dict() first")

    def _predict(self, batch) -> np.ndarray:
        """``(B, T, 25)`` mean prediction for a batch of speaker clips (or prefixes)."""
        self._check_fitted()
        emotion = batch.emotion.cpu().numpy().astype(np.float64)  # (B, T, 25)
        audio = batch.audio.cpu().numpy()
        w = self._weights.numpy()
        frames = emotion.shape[1]
        return np.stack([_clip_to_ranges(features(e, talk_mask(a, frames)) @ w) for e, a in zip(emotion, audio)])

    def generate(self, batch, *, num_samples=10, generator):
        mean = torch.from_numpy(self._predict(batch).astype(np.float32)).to(self.device)  # (B, T, 25)
        return Reactions(mean.unsqueeze(1).expand(-1, num_samples, -1, -1).contiguous())  # (B, S, T, 25)

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream = []
        self._stream_samples = num_samples

    def step(self, chunk):
        # Causal features: the prediction for the chunk's frames from the prefix equals the offline one.
        self._stream.append(chunk)
        prefix = _concat_batches(self._stream)
        out = self.generate(prefix, num_samples=self._stream_samples, generator=None)
        return Reactions(out.emotion[:, :, -chunk.num_frames:])

