"""Acoustic feature extractors: ``mfcc`` (torchaudio) and ``wav2vec2`` (transformers, local weights).

Both return ``(T, D)`` float32 at 25 fps with ``T = len(audio) // 640`` (16 kHz audio):

- ``mfcc``: 26 coefficients from 26 mel filter banks, 0.04 s window and stride (640 samples,
  no centring), as in the ReactDiff paper -> ``(T, 26)``.
- ``wav2vec2``: the last hidden state of a ``Wav2Vec2Model`` loaded from a local folder
  (``path=``; nothing is downloaded), 768-d at 50 Hz; consecutive pairs of frames are
  concatenated -> ``(T, 2 * hidden)`` (1536 for wav2vec2-base-960h).
- ``voice_activity``: whether the person talks (frame RMS above ``threshold``) and how long the
  current silence has lasted, in seconds, capped at :data:`MAX_SILENCE_S` -> ``(T, 2)``. Causal: frame
  t reads audio frames <= t only. Who holds the floor is what a listener's behaviour turns on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from react_bench.constants import FEATURE_SAMPLE_RATE, FPS, SAMPLES_PER_FRAME
from react_bench.data.features.base import Clip, register_extractor
from react_bench.errors import BadInputError, MissingDataError

"""640 audio samples per 25 fps frame."""

TALK_THRESHOLD = 0.02
"""Frame RMS (16 kHz audio, full scale 1) above which a person talks, about -34 dBFS (the synthetic
set's speech; its quiet "mm-hm" backchannels stay below, at ~0.009)."""

MAX_SILENCE_S = 2.0
"""The silence length of ``voice_activity`` is capped here: longer silences all read as "the floor has passed"."""


def frame_rms(audio: np.ndarray, num_frames: int) -> np.ndarray:
    """``(T,)`` RMS of each 40 ms frame of ``(L,)`` 16 kHz audio (zero-padded or cut to ``T`` frames)."""
    audio = np.asarray(audio, dtype=np.float64).reshape(-1)[: num_frames * SAMPLES_PER_FRAME]
    audio = np.pad(audio, (0, num_frames * SAMPLES_PER_FRAME - len(audio)))
    return np.sqrt(np.mean(audio.reshape(num_frames, SAMPLES_PER_FRAME) ** 2, axis=1))


def talk_mask(audio: np.ndarray, num_frames: int, *, threshold: float = TALK_THRESHOLD) -> np.ndarray:
    """``(T,)`` bool: frames where the 16 kHz audio is louder than ``threshold`` RMS."""
    return frame_rms(audio, num_frames) > threshold


def silence_frames(talk: np.ndarray) -> np.ndarray:
    """``(T,)`` int: frames since the last talking frame, counting this one (0 while talking); causal.

    >>> silence_frames(np.array([False, True, False, False, True])).tolist()
    [1, 0, 1, 2, 0]
    """
    talk = np.asarray(talk, dtype=bool)
    index = np.arange(len(talk))
    last_talk = np.maximum.accumulate(np.where(talk, index, -1))  # latest talking frame <= t (-1: none yet)
    return index - last_talk


def _pad_or_trim(features: np.ndarray, num_frames: int) -> np.ndarray:
    """``(T', D)`` -> ``(num_frames, D)``: cut, or repeat the last row (zeros when empty)."""
    if len(features) >= num_frames:
        return features[:num_frames]
    if len(features) == 0:
        return np.zeros((num_frames, features.shape[1]), dtype=np.float32)
    return np.concatenate([features, np.repeat(features[-1:], num_frames - len(features), axis=0)])


class MFCCExtractor:
    """26 MFCCs per 40 ms frame of 16 kHz audio: ``(L,)`` -> ``(L // 640, 26)``."""

    name = "mfcc"
    version = "1"

    def __init__(self, *, n_mfcc: int = 26) -> None:
        import torchaudio

        if n_mfcc < 1:
            raise BadInputError(f"n_mfcc must be >= 1; got {n_mfcc}")
        self.dim = int(n_mfcc)
        if n_mfcc != 26:
            self.version = f"1-n{n_mfcc}"
        self._transform = torchaudio.transforms.MFCC(
            sample_rate=FEATURE_SAMPLE_RATE,
            n_mfcc=n_mfcc,
            melkwargs={"n_fft": SAMPLES_PER_FRAME, "win_length": SAMPLES_PER_FRAME,
                       "hop_length": SAMPLES_PER_FRAME, "n_mels": max(26, n_mfcc), "center": False},
        )

    def __call__(self, clip: Clip) -> np.ndarray:
        audio = torch.as_tensor(np.asarray(clip.audio, dtype=np.float32)).reshape(-1)
        num_frames = len(audio) // SAMPLES_PER_FRAME
        if num_frames == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with torch.no_grad():
            mfcc = self._transform(audio[: num_frames * SAMPLES_PER_FRAME])  # (26, T)
        return _pad_or_trim(mfcc.T.numpy().astype(np.float32), num_frames)


class Wav2Vec2Extractor:
    """Last hidden state of a local ``Wav2Vec2Model``, frame pairs concatenated: ``(L,)`` -> ``(L // 640, 2 H)``."""

    name = "wav2vec2"

    def __init__(self, *, path: str | None = None, device: str = "cpu") -> None:
        if path is None:
            raise BadInputError(
                "the wav2vec2 extractor needs path=<folder of a saved Wav2Vec2Model> "
                "(e.g. wav2vec2-base-960h saved with save_pretrained); nothing is downloaded"
            )
        folder = Path(path).expanduser()
        if not (folder / "config.json").is_file():
            raise MissingDataError(
                f"no wav2vec2 model at {folder} (config.json missing); save one there with "
                f"Wav2Vec2Model.from_pretrained(...).save_pretrained('{folder}') on a machine with internet"
            )
        from transformers import Wav2Vec2Model

        self._model = Wav2Vec2Model.from_pretrained(str(folder), local_files_only=True).to(device).eval()
        self._device = device
        self.dim = 2 * int(self._model.config.hidden_size)
        digest = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()[:8]
        self.version = f"1-{digest}"

    def __call__(self, clip: Clip) -> np.ndarray:
        audio = torch.as_tensor(np.asarray(clip.audio, dtype=np.float32)).reshape(1, -1)
        num_frames = audio.shape[1] // SAMPLES_PER_FRAME
        if num_frames == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with torch.no_grad():
            hidden = self._model(audio.to(self._device)).last_hidden_state[0].cpu().numpy()  # (T50, H)
        if len(hidden) % 2:  # 50 Hz -> 25 fps by pairing; an odd tail frame is repeated
            hidden = np.concatenate([hidden, hidden[-1:]])
        paired = hidden.reshape(len(hidden) // 2, self.dim).astype(np.float32)  # (T', 2H)
        return _pad_or_trim(paired, num_frames)


class VoiceActivityExtractor:
    """``(L,)`` 16 kHz audio -> ``(L // 640, 2)``: talk (0/1) and the current silence in seconds (<= 2)."""

    name = "voice_activity"
    dim = 2

    def __init__(self, *, threshold: float = TALK_THRESHOLD) -> None:
        if not threshold > 0:
            raise BadInputError(f"voice_activity threshold must be a positive frame RMS; got {threshold}")
        self.threshold = float(threshold)
        self.version = "1" if self.threshold == TALK_THRESHOLD else f"1-t{self.threshold:g}"

    def __call__(self, clip: Clip) -> np.ndarray:
        num_frames = len(np.asarray(clip.audio).reshape(-1)) // SAMPLES_PER_FRAME
        talk = talk_mask(clip.audio, num_frames, threshold=self.threshold)
        silence = np.minimum(silence_frames(talk), MAX_SILENCE_S * FPS) / FPS
        return np.stack([talk.astype(np.float64), silence], axis=1).astype(np.float32)  # (T, 2)


@register_extractor("mfcc")
def mfcc(*, n_mfcc: int = 26) -> MFCCExtractor:
    return MFCCExtractor(n_mfcc=n_mfcc)


@register_extractor("voice_activity")
def voice_activity(*, threshold: float = TALK_THRESHOLD) -> VoiceActivityExtractor:
    return VoiceActivityExtractor(threshold=threshold)


@register_extractor("wav2vec2")
def wav2vec2(*, path: str | None = None, device: str = "cpu") -> Wav2Vec2Extractor:
    return Wav2Vec2Extractor(path=path, device=device)
