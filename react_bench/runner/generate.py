"""One batch of generation on each track, with the output checks the runner applies.

Offline: ``generate`` on whole clips. Online: ``reset`` then ``step`` on each chunk in order
(``chunk_frames``, 50 = 2 s by default), timing every window; the submission never holds a speaker
frame beyond its current chunk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import torch

from react_bench.constants import EMOTION_DIM, THREEDMM_DIM
from react_bench.errors import BadInputError
from react_bench.runner.batches import SpeakerStreams
from react_bench.submissions import ONLINE_CHUNK_FRAMES, Reactions, SpeakerBatch, Submission


@dataclass
class BatchOutput:
    """Generated reactions of one batch, on the CPU.

    Attributes:
        emotion: ``(B, S, T, 25)`` float32.
        threedmm: ``(B, S, T, 58)`` float32, or None.
        seconds: wall time spent in the submission for this batch.
        latencies: seconds per online window (empty offline).
    """

    emotion: np.ndarray
    threedmm: np.ndarray | None
    seconds: float
    latencies: list[float] = field(default_factory=list)


def check_reactions(
    out: Reactions | torch.Tensor, submission: Submission, *, batch: int, samples: int, frames: int, where: str
) -> Reactions:
    """The submission's output as :class:`Reactions`, after shape and finiteness checks.

    Raises:
        ValueError: naming the submission, the expected and the returned shape, or the non-finite values.
    """
    if isinstance(out, torch.Tensor):
        out = Reactions(out)
    if not isinstance(out, Reactions) or not isinstance(out.emotion, torch.Tensor):
        raise BadInputError(
            f"submission {submission.name!r} must return a (B, S, T, 25) tensor or Reactions from {where}; "
            f"got {type(out).__name__}"
        )
    expected = (batch, samples, frames, EMOTION_DIM)
    _check_tensor(out.emotion, expected, submission, "emotion", where)
    if submission.produces_3dmm and out.threedmm is None:
        raise BadInputError(
            f"submission {submission.name!r} sets produces_3dmm but returned no 3DMM from {where}; "
            f"return Reactions(emotion, threedmm) or set produces_3dmm = False"
        )
    if out.threedmm is not None:
        _check_tensor(out.threedmm, (batch, samples, frames, THREEDMM_DIM), submission, "3DMM", where)
    return out


def _check_tensor(x: torch.Tensor, expected: tuple[int, ...], submission: Submission, what: str, where: str) -> None:
    if tuple(x.shape) != expected:
        raise BadInputError(
            f"submission {submission.name!r} returned {what} of shape {tuple(x.shape)} from {where}; "
            f"expected {expected} (B speakers, S samples, T frames, channels)"
        )
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).sum())
        raise BadInputError(f"submission {submission.name!r} returned {bad} non-finite {what} values (NaN/Inf) from {where}")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _to_numpy(x: torch.Tensor | None) -> np.ndarray | None:
    return None if x is None else x.detach().to("cpu", torch.float32).numpy()


@torch.no_grad()
def generate_offline(
    submission: Submission, streams: SpeakerStreams, indices: np.ndarray, *, num_samples: int,
    generator: torch.Generator, device: torch.device,
) -> BatchOutput:
    """``generate`` on whole clips of the samples ``indices``."""
    batch = streams.batch(indices).to(device)
    start = time.perf_counter()
    out = submission.generate(batch, num_samples=num_samples, generator=generator)
    _sync(device)
    seconds = time.perf_counter() - start
    out = check_reactions(
        out, submission, batch=len(indices), samples=num_samples, frames=streams.num_frames, where="generate()"
    )
    return BatchOutput(_to_numpy(out.emotion), _to_numpy(out.threedmm), seconds)


@torch.no_grad()
def generate_online(
    submission: Submission, streams: SpeakerStreams, indices: np.ndarray, *, num_samples: int,
    generator: torch.Generator, device: torch.device, chunk_frames: int = ONLINE_CHUNK_FRAMES,
) -> BatchOutput:
    """``reset`` then ``step`` on each ``chunk_frames`` chunk of the samples ``indices``, in order, timed per window."""
    return stream_online(
        submission, streams.chunks(indices, chunk_frames=chunk_frames), batch_size=len(indices),
        num_samples=num_samples, generator=generator, device=device,
    )


@torch.no_grad()
def stream_online(
    submission: Submission, chunks: Iterable[SpeakerBatch], *, batch_size: int, num_samples: int,
    generator: torch.Generator, device: torch.device,
) -> BatchOutput:
    """``reset``, then ``step`` on each chunk of one batch of streams in order; the frames returned, concatenated.

    ``chunks`` yields ``SpeakerBatch`` pieces ``(B, t, ...)`` in stream order (the runner's
    :meth:`SpeakerStreams.chunks`, or the causality audit's altered streams); the output covers the
    frames of the chunks given, ``(B, S, sum t, 25)``.
    """
    submission.reset(batch_size, num_samples=num_samples, generator=generator)
    emotion, threedmm, latencies = [], [], []
    for chunk in chunks:
        chunk = chunk.to(device)
        start = time.perf_counter()
        out = submission.step(chunk)
        _sync(device)
        latencies.append(time.perf_counter() - start)
        where = f"step() at frames {chunk.start_frame}..{chunk.start_frame + chunk.num_frames}"
        out = check_reactions(
            out, submission, batch=batch_size, samples=num_samples, frames=chunk.num_frames, where=where
        )
        emotion.append(_to_numpy(out.emotion))
        threedmm.append(_to_numpy(out.threedmm))
    has_3dmm = all(t is not None for t in threedmm)
    return BatchOutput(
        np.concatenate(emotion, axis=2),  # (B, S, T, 25)
        np.concatenate(threedmm, axis=2) if has_3dmm else None,  # (B, S, T, 58)
        float(sum(latencies)),
        latencies,
    )
