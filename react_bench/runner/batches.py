"""Speaker batches from a dataset split: whole clips (offline) and causal chunks (online)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import numpy.typing as npt
import torch

from react_bench.constants import FEATURE_SAMPLE_RATE, FPS, SAMPLES_PER_FRAME
from react_bench.data.features.base import FeatureRequest, as_feature_spec
from react_bench.errors import BadInputError
from react_bench.submissions import ONLINE_CHUNK_FRAMES, SpeakerBatch

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


class SpeakerStreams:
    """The speaker side of a split, loaded once, handed out as :class:`SpeakerBatch` objects.

    Args:
        dataset: the split (``ReactDataset``).
        features: the per-frame features to include, names or :class:`FeatureSpec` (built by
            ``ds.features(spec, "speaker")``), held in ``SpeakerBatch.features`` under their names.
    """

    def __init__(self, dataset: "ReactDataset", *, features: Sequence[FeatureRequest] = ()) -> None:
        self.emotion = np.asarray(dataset.emotion("speaker"), dtype=np.float32)  # (N, T, 25)
        self.threedmm = np.asarray(dataset.threedmm("speaker"), dtype=np.float32)  # (N, T, 58)
        self._dataset = dataset
        self.fps = dataset.fps  # 25 (REACT2024) or 30 (MARS): audio samples per frame follow it
        self._audio_cache: tuple[tuple[int, ...], np.ndarray] | None = None
        specs = [as_feature_spec(feature) for feature in features]
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise BadInputError(f"features must have distinct names (SpeakerBatch.features is keyed by name); got {specs}")
        self.features = {
            spec.name: np.asarray(dataset.features(spec, "speaker"), dtype=np.float32) for spec in specs
        }  # name -> (N, T, D)

    @property
    def num_samples(self) -> int:
        return self.emotion.shape[0]

    @property
    def num_frames(self) -> int:
        return self.emotion.shape[1]

    def batch_indices(self, batch_size: int) -> list[npt.NDArray[np.int64]]:
        """Sample indices of each batch, in split order."""
        return [np.arange(s, min(s + batch_size, self.num_samples)) for s in range(0, self.num_samples, batch_size)]

    def batch(self, indices: npt.NDArray[np.int64], *, start: int = 0, stop: int | None = None) -> SpeakerBatch:
        """Speaker frames ``start:stop`` of the samples ``indices`` (and the matching audio)."""
        stop = self.num_frames if stop is None else stop
        audio = slice(audio_sample(start, self.fps), audio_sample(stop, self.fps))
        return SpeakerBatch(
            emotion=torch.from_numpy(self.emotion[indices, start:stop]),  # (B, t, 25)
            threedmm=torch.from_numpy(self.threedmm[indices, start:stop]),  # (B, t, 58)
            audio=torch.from_numpy(self._audio(indices)[:, audio]),  # (B, t * 640)
            indices=torch.from_numpy(np.asarray(indices, dtype=np.int64)),
            features={name: torch.from_numpy(f[indices, start:stop]) for name, f in self.features.items()},
            start_frame=start,
        )

    def _audio(self, indices: npt.NDArray[np.int64]) -> np.ndarray:
        """``(B, T * 640)`` speaker audio of a batch; the last batch's is kept for its online chunks."""
        key = tuple(int(k) for k in indices)
        if self._audio_cache is None or self._audio_cache[0] != key:
            T = self.num_frames
            audio = np.stack([_fit_audio(self._dataset.audio(k, "speaker"), T, self.fps) for k in key])
            self._audio_cache = (key, audio)
        return self._audio_cache[1]

    def chunks(self, indices: npt.NDArray[np.int64], *, chunk_frames: int = ONLINE_CHUNK_FRAMES) -> Iterator[SpeakerBatch]:
        """The online stream: consecutive ``chunk_frames`` windows (the last may be shorter), in order."""
        for start, stop in chunk_bounds(self.num_frames, chunk_frames):
            yield self.batch(indices, start=start, stop=stop)


def chunk_bounds(num_frames: int, chunk_frames: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the online chunks of a ``num_frames`` stream (the last may be shorter).

    >>> chunk_bounds(7, 3)
    [(0, 3), (3, 6), (6, 7)]
    """
    if not isinstance(chunk_frames, int) or isinstance(chunk_frames, bool) or chunk_frames < 1:
        raise BadInputError(f"chunk_frames must be a positive integer (frames per online step); got {chunk_frames!r}")
    return [(start, min(start + chunk_frames, num_frames)) for start in range(0, num_frames, chunk_frames)]


def chunk_batch(batch: SpeakerBatch, *, chunk_frames: int, fps: int = FPS) -> Iterator[SpeakerBatch]:
    """A whole-clip :class:`SpeakerBatch` ``(B, T, ...)`` cut into its online chunks, as :meth:`SpeakerStreams.chunks`."""
    for start, stop in chunk_bounds(batch.num_frames, chunk_frames):
        audio = slice(audio_sample(start, fps), audio_sample(stop, fps))
        yield SpeakerBatch(
            emotion=batch.emotion[:, start:stop],  # (B, t, 25)
            threedmm=batch.threedmm[:, start:stop],  # (B, t, 58)
            audio=batch.audio[:, audio],  # (B, t * 640) at 25 fps
            indices=batch.indices,
            features={name: f[:, start:stop] for name, f in batch.features.items()},
            start_frame=batch.start_frame + start,
        )


def audio_sample(frame: int, fps: int) -> int:
    """The first 16 kHz audio sample of video frame ``frame`` at ``fps`` (640 t at 25 fps, exactly)."""
    if fps == FPS:
        return frame * SAMPLES_PER_FRAME
    return round(frame * FEATURE_SAMPLE_RATE / fps)


def _fit_audio(audio: np.ndarray, num_frames: int, fps: int = FPS) -> np.ndarray:
    """Cut (or zero-pad) a clip's 16 kHz audio to exactly ``num_frames`` video frames.

    Wav files rarely hold an exact multiple of 640 samples (the real data is resampled from
    44.1 kHz); the tail beyond the last evaluated frame is dropped and a short file is padded
    with silence, so audio samples ``640 t .. 640 (t + 1)`` always belong to frame ``t``.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    length = audio_sample(num_frames, fps)
    if audio.shape[0] >= length:
        return audio[:length]
    return np.pad(audio, (0, length - audio.shape[0]))
