"""The naive baselines of the REACT challenge: GT, Random, Mime, MeanSeq, MeanFr.

Each returns ``(B, S, T, 25)`` emotion reactions (and ``(B, S, T, 58)`` 3DMM where it has a
natural one) on both tracks. All of them are causal online: the frames they return for a chunk
depend only on that chunk (Mime, Random), on nothing the speaker does (MeanSeq, MeanFr), or on the
real listener's frames of that same window (GT, a reference that is not a model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from react_bench.constants import EMOTION_DIM
from react_bench.errors import BadInputError
from react_bench.submissions import Reactions, SpeakerBatch, Submission, register_submission

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


def _repeat(x: torch.Tensor, num_samples: int) -> torch.Tensor:
    """``(B, T, C)`` -> ``(B, S, T, C)``, the same sequence ``S`` times."""
    return x.unsqueeze(1).expand(-1, num_samples, -1, -1).contiguous()


@register_submission("gt")
class GroundTruth(Submission):
    """The real listener reaction x S: a reference, not a model (it sees the answer)."""

    produces_3dmm = True
    reference = True

    def bind(self, dataset: "ReactDataset") -> None:
        self._emotion = torch.from_numpy(np.ascontiguousarray(dataset.emotion("listener")))  # (N, T, 25)
        self._threedmm = torch.from_numpy(np.ascontiguousarray(dataset.threedmm("listener")))  # (N, T, 58)

    def _window(self, batch: SpeakerBatch, num_samples: int) -> Reactions:
        if not hasattr(self, "_emotion"):
            raise BadInputError("submission 'gt' needs the split's listeners: call bind(dataset) before generating")
        idx = batch.indices.cpu().long()
        frames = slice(batch.start_frame, batch.start_frame + batch.num_frames)
        emotion = self._emotion[idx, frames].to(self.device)  # (B, t, 25)
        threedmm = self._threedmm[idx, frames].to(self.device)  # (B, t, 58)
        return Reactions(_repeat(emotion, num_samples), _repeat(threedmm, num_samples))

    def generate(self, batch, *, num_samples=10, generator):
        return self._window(batch, num_samples)

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream_samples = num_samples

    def step(self, chunk):
        # Online the GT answers with the real listener's frames of the same window only.
        return self._window(chunk, self._stream_samples)


@register_submission("random")
class RandomReaction(Submission):
    """Uniform noise in [0, 1) on every channel and frame, drawn from the run's seeded generator."""

    def generate(self, batch, *, num_samples=10, generator):
        B, T = batch.batch_size, batch.num_frames
        out = torch.rand((B, num_samples, T, EMOTION_DIM), generator=generator, device=generator.device)
        return out.to(self.device)  # (B, S, T, 25)

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream_samples = num_samples
        self._stream_generator = generator

    def step(self, chunk):
        return self.generate(chunk, num_samples=self._stream_samples, generator=self._stream_generator)


@register_submission("mime")
class Mime(Submission):
    """The speaker's own behaviour x S: the listener mirrors the speaker frame by frame."""

    produces_3dmm = True

    def generate(self, batch, *, num_samples=10, generator):
        return Reactions(_repeat(batch.emotion, num_samples), _repeat(batch.threedmm, num_samples))

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream_samples = num_samples

    def step(self, chunk):
        return self.generate(chunk, num_samples=self._stream_samples, generator=None)


class _MeanBaseline(Submission):
    """Shared fit of MeanSeq and MeanFr: per-frame means over every training clip of both roles."""

    needs_fit = True
    produces_3dmm = True

    def fit(self, train, *, val=None, seed=0):
        emotion = np.concatenate([train.emotion("speaker"), train.emotion("listener")])  # (2N, T, 25)
        threedmm = np.concatenate([train.threedmm("speaker"), train.threedmm("listener")])  # (2N, T, 58)
        # float64 accumulation, so the mean does not depend on the clip order.
        self.load_state_dict({
            "emotion": torch.from_numpy(emotion.mean(axis=0, dtype=np.float64).astype(np.float32)),
            "threedmm": torch.from_numpy(threedmm.mean(axis=0, dtype=np.float64).astype(np.float32)),
        })

    def state_dict(self) -> dict:
        self._check_fitted()
        return {"emotion": self._emotion.cpu(), "threedmm": self._threedmm.cpu()}

    def load_state_dict(self, state: dict) -> None:
        self._emotion = state["emotion"].to(self.device)  # (T, 25)
        self._threedmm = state["threedmm"].to(self.device)  # (T, 58)

    def _check_fitted(self) -> None:
        if not hasattr(self, "_emotion"):
            raise BadInputError(f"submission {self.name!r} is not fitted: call fit(train) or load_state_dict() first")

    def _sequence(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``(T, 25)`` emotion and ``(T, 58)`` 3DMM sequence to tile."""
        raise NotImplementedError

    def generate(self, batch, *, num_samples=10, generator):
        self._check_fitted()
        emotion, threedmm = self._sequence()
        start, stop = batch.start_frame, batch.start_frame + batch.num_frames
        if stop > emotion.shape[0]:
            raise BadInputError(
                f"submission {self.name!r} was fitted on {emotion.shape[0]}-frame clips; got frames "
                f"{start}..{stop}. Fit it on training clips at least as long as the evaluated ones."
            )
        B, S = batch.batch_size, num_samples
        return Reactions(
            emotion[start:stop].expand(B, S, -1, -1).contiguous(),  # (B, S, t, 25)
            threedmm[start:stop].expand(B, S, -1, -1).contiguous(),  # (B, S, t, 58)
        )

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream_samples = num_samples

    def step(self, chunk):
        return self.generate(chunk, num_samples=self._stream_samples, generator=None)


@register_submission("meanseq")
class MeanSeq(_MeanBaseline):
    """The per-frame mean of all training reactions (both roles), the same for every speaker."""

    def _sequence(self):
        return self._emotion, self._threedmm


@register_submission("meanfr")
class MeanFr(_MeanBaseline):
    """The time mean of MeanSeq: one constant frame, repeated over the whole clip."""

    def _sequence(self):
        T = self._emotion.shape[0]
        emotion = self._emotion.double().mean(dim=0).float().expand(T, -1)  # (T, 25)
        threedmm = self._threedmm.double().mean(dim=0).float().expand(T, -1)  # (T, 58)
        return emotion, threedmm
