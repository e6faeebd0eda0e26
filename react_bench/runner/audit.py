"""The causality audit: does an online submission's listener frame t read speaker frames after t?

The online contract (``docs/harness.md``): listener frame t may depend on speaker input frames
0..t only, plus the submission's own earlier output and the run's seeded generator. The runner
enforces it between chunks (a submission is never handed the next chunk), not inside one: a
submission given frames ``s .. s + 49`` at once could make frame ``s`` from frame ``s + 49``.

The audit measures it, for any submission. For a few speakers and several cut frames t (drawn
from a seeded generator, never on a chunk's last frame, where nothing inside a chunk would be
tested), it streams the speakers again with every speaker input after t (emotion, 3DMM, audio
samples, every feature) replaced by another sample's, with the same seed, and compares listener
frames 0..t with the original stream. It also streams the original a second time: a difference
there means the output is not reproducible from the seed (randomness not drawn from the run's
generator), which the audit reports apart from look-ahead.

Cost: one original stream, one re-run and one stream per cut, each only as far as the chunk after
its cut, for ``len(indices)`` speakers in one batch.
"""

from __future__ import annotations

import itertools
import time
from typing import Sequence

import numpy as np
import torch

from react_bench.errors import BadInputError
from react_bench.runner.batches import SpeakerStreams, audio_sample, chunk_batch, chunk_bounds
from react_bench.runner.generate import BatchOutput, stream_online
from react_bench.submissions import ONLINE_CHUNK_FRAMES, SpeakerBatch, Submission

__all__ = ["AUDIT_CUTS", "AUDIT_SAMPLES", "AUDIT_SPEAKERS", "DEFAULT_TOLERANCE", "audit_causality", "draw_cuts"]

AUDIT_SPEAKERS = 2
"""Speakers audited in every online run (one batch; small, so the audit costs a few streams)."""
AUDIT_CUTS = 3
"""Cut frames per online run."""
AUDIT_SAMPLES = 2
"""Reactions per speaker in the audit streams (the run's own count when smaller): whether frame t reads a
later speaker frame does not depend on how many samples share the stream, and the audit's cost grows with
it (ReactDiff small, 2 speakers on a loaded 2-core CPU: ~5 min with 10 samples, 7 s with 2)."""
DEFAULT_TOLERANCE = 1e-5
"""Largest |difference| before a cut that still passes. Same seed and same shapes give bit-identical
float32 output on CPU for a causal submission; the tolerance only absorbs reduction-order noise of
other devices. A look-ahead difference is of the size of the signal (ReactDiff's old online mode: 1.0)."""
_AUDIT_STREAM = 0xA0D17
"""Mixed into the run seed so the audit's draws (speakers, cuts, donors) are their own stream."""


def draw_cuts(num_frames: int, chunk_frames: int, count: int, rng: np.random.Generator) -> list[int]:
    """``count`` distinct cut frames t, sorted, with speaker frames after t to replace (t <= T - 2).

    A chunk's last frame is never drawn (unless every frame is one, ``chunk_frames == 1``): a cut
    there replaces whole chunks only, which the runner already keeps from the submission.

    >>> draw_cuts(100, 50, 3, np.random.default_rng(0))
    [51, 62, 82]
    """
    frames = np.arange(num_frames - 1)
    if chunk_frames > 1:
        frames = frames[(frames + 1) % chunk_frames != 0]
    if count < 1 or frames.size < count:
        raise BadInputError(
            f"the causality audit needs {count} cut frame(s) inside {chunk_frames}-frame chunks of a "
            f"{num_frames}-frame stream; only {frames.size} exist. Ask for fewer cuts (--cuts) or use longer clips."
        )
    return sorted(int(t) for t in rng.choice(frames, size=count, replace=False))


def audit_causality(
    submission: Submission, streams: SpeakerStreams, *, indices: Sequence[int] | None = None,
    cuts: Sequence[int] | None = None, num_speakers: int = AUDIT_SPEAKERS, num_cuts: int = AUDIT_CUTS,
    seed: int = 0, chunk_frames: int = ONLINE_CHUNK_FRAMES, num_samples: int = AUDIT_SAMPLES,
    device: torch.device | str = "cpu", tolerance: float = DEFAULT_TOLERANCE,
) -> dict:
    """Check that the submission's online listener frames 0..t do not change when speaker frames > t do.

    Args:
        submission: fitted and bound (as the runner leaves it); its ``reset``/``step`` are called.
        streams: the split's speaker side.
        indices: the speaker samples audited (one batch); default ``num_speakers`` drawn from the seed.
        cuts: the cut frames t; default ``num_cuts`` drawn by :func:`draw_cuts`.
        seed: the run seed; the audit's generator and draws derive from it (every stream of the
            audit gets a generator seeded identically).
        chunk_frames: the run's chunk size.
        tolerance: the largest |difference| before a cut that passes.

    Returns:
        ``{"passed", "max_abs_diff_before_cut", "max_abs_diff_after_cut", "max_abs_diff_rerun",
        "reproducible", "violations": [{"speaker", "cut", "first_frame", "max_abs_diff"}], "cuts",
        "speakers", "donors", "chunk_frames", "num_samples", "seed", "tolerance", "seconds"}``.
        ``max_abs_diff_after_cut`` (frames after the cut up to the end of the next chunk) says
        whether the audit could see anything: 0 for a submission that ignores the speaker.
    """
    start = time.perf_counter()
    N, T = streams.num_samples, streams.num_frames
    chunk_bounds(T, chunk_frames)  # validates chunk_frames
    rng = np.random.default_rng(np.random.SeedSequence([seed, _AUDIT_STREAM]))
    if indices is None:
        indices = sorted(rng.choice(N, size=min(num_speakers, N), replace=False).tolist())
    indices = np.asarray([int(k) for k in indices], dtype=np.int64)
    if indices.size == 0 or indices.min() < 0 or indices.max() >= N:
        raise BadInputError(f"audit speakers must be sample indices in 0..{N - 1}; got {indices.tolist()}")
    cuts = draw_cuts(T, chunk_frames, num_cuts, rng) if cuts is None else sorted(int(t) for t in cuts)
    if not cuts or min(cuts) < 0 or max(cuts) > T - 2:
        raise BadInputError(f"audit cut frames must lie in 0..{T - 2} (some frame after each); got {cuts}")
    donors = _donors(indices, N, rng)
    original = streams.batch(indices)  # (B, T, ...)
    replacement = streams.batch(donors) if N > 1 else _noise_like(original, rng)
    torch_seed = int(np.random.SeedSequence([seed, _AUDIT_STREAM, 1]).generate_state(1, dtype=np.uint64)[0] >> 1)

    def run(batch: SpeakerBatch, last_frame: int) -> BatchOutput:
        # Stream only as far as the chunk after the one holding last_frame: nothing later is compared.
        chunks = min(last_frame // chunk_frames + 2, len(chunk_bounds(T, chunk_frames)))
        generator = torch.Generator(device=torch.device(device)).manual_seed(torch_seed)
        return stream_online(
            submission, itertools.islice(chunk_batch(batch, chunk_frames=chunk_frames, fps=streams.fps), chunks),
            batch_size=len(indices), num_samples=num_samples, generator=generator, device=torch.device(device),
        )

    reference = run(original, max(cuts))
    rerun = run(original, max(cuts))
    rerun_diff = _max_abs_diff(reference, rerun, 0, rerun.emotion.shape[2])
    before, after, violations = 0.0, 0.0, []
    for t in cuts:
        changed = run(_splice(original, replacement, t + 1, fps=streams.fps), t)
        diff = _frame_diff(reference, changed, changed.emotion.shape[2])  # (B, frames)
        before = max(before, float(diff[:, : t + 1].max()))
        if diff.shape[1] > t + 1:
            after = max(after, float(diff[:, t + 1:].max()))
        for b, k in enumerate(indices):
            bad = np.flatnonzero(diff[b, : t + 1] > tolerance)
            if bad.size:
                violations.append({"speaker": int(k), "cut": t, "first_frame": int(bad[0]),
                                   "max_abs_diff": float(diff[b, : t + 1].max())})
    reproducible = rerun_diff <= tolerance
    return {
        "passed": bool(reproducible and not violations),
        "max_abs_diff_before_cut": before,
        "max_abs_diff_after_cut": after,
        "max_abs_diff_rerun": rerun_diff,
        "reproducible": bool(reproducible),
        "violations": violations,
        "cuts": list(cuts),
        "speakers": indices.tolist(),
        "donors": donors.tolist() if N > 1 else None,
        "chunk_frames": chunk_frames,
        "num_samples": num_samples,
        "seed": seed,
        "tolerance": tolerance,
        "seconds": time.perf_counter() - start,
    }


def _donors(indices: np.ndarray, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """For each audited sample, another sample of the split whose speaker inputs replace its future."""
    if num_samples == 1:
        return indices.copy()  # unused: the replacement is noise
    offsets = rng.integers(1, num_samples, size=indices.size)
    return (indices + offsets) % num_samples


def _noise_like(batch: SpeakerBatch, rng: np.random.Generator) -> SpeakerBatch:
    """A split of one sample has no other speaker: replace with noise of each channel's scale instead."""
    def noise(x: torch.Tensor) -> torch.Tensor:
        scale = x.float().std(dim=1, keepdim=True) + 1.0
        return x + torch.from_numpy(rng.standard_normal(x.shape).astype(np.float32)) * scale

    return SpeakerBatch(emotion=noise(batch.emotion), threedmm=noise(batch.threedmm),
                        audio=noise(batch.audio[..., None])[..., 0], indices=batch.indices,
                        features={k: noise(v) for k, v in batch.features.items()})


def _splice(original: SpeakerBatch, replacement: SpeakerBatch, frame: int, *, fps: int) -> SpeakerBatch:
    """``original``'s speaker frames ``< frame`` followed by ``replacement``'s frames ``>= frame`` (audio likewise)."""
    def cut(a: torch.Tensor, b: torch.Tensor, at: int) -> torch.Tensor:
        return torch.cat([a[:, :at], b[:, at:]], dim=1)

    sample = audio_sample(frame, fps)
    return SpeakerBatch(
        emotion=cut(original.emotion, replacement.emotion, frame),  # (B, T, 25)
        threedmm=cut(original.threedmm, replacement.threedmm, frame),  # (B, T, 58)
        audio=cut(original.audio, replacement.audio, sample),  # (B, T * 640)
        indices=original.indices,  # the stream is still sample k's: only its speaker inputs changed
        features={k: cut(v, replacement.features[k], frame) for k, v in original.features.items()},
        start_frame=original.start_frame,
    )


def _frame_diff(a: BatchOutput, b: BatchOutput, frames: int) -> np.ndarray:
    """``(B, frames)``: max |a - b| per speaker and frame over samples and channels (emotion and 3DMM)."""
    diff = np.abs(a.emotion[:, :, :frames] - b.emotion[:, :, :frames]).max(axis=(1, 3))
    if a.threedmm is not None and b.threedmm is not None:
        diff = np.maximum(diff, np.abs(a.threedmm[:, :, :frames] - b.threedmm[:, :, :frames]).max(axis=(1, 3)))
    return diff


def _max_abs_diff(a: BatchOutput, b: BatchOutput, start: int, stop: int) -> float:
    return float(_frame_diff(a, b, stop)[:, start:].max())
