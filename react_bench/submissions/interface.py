"""The interface every submission implements.

A submission sees speaker behaviour and returns listener reactions.

Offline track: :meth:`Submission.generate` gets whole speaker clips, ``(B, T, ...)``, and
returns ``num_samples`` reactions per clip, ``(B, S, T, 25)``.

Online track: the runner calls :meth:`Submission.reset` once per batch, then feeds the
speaker stream chunk by chunk to :meth:`Submission.step`, which must return the listener
frames of that chunk. Chunks hold ``chunk_frames`` frames (``--chunk-frames``, default
:data:`ONLINE_CHUNK_FRAMES` = 50; 1 allowed; the last chunk may be shorter).

The online contract: listener frame t may depend on speaker input frames 0..t only (emotion,
3DMM, audio, features), plus the submission's own earlier output and the run's seeded generator.
The runner enforces it between chunks (it never hands over a later chunk) but cannot inside one:
a chunk ``s .. s + 49`` arrives whole, and frame ``s`` must not use frames ``s + 1 ..``. The
causality audit (:mod:`react_bench.runner.audit`, run at the end of every online run) checks that
part: it replaces every speaker input after a random cut frame and compares the frames before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import torch

from react_bench.constants import FPS

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset
    from react_bench.data.features.base import FeatureRequest, FeatureSpec

ONLINE_CHUNK_FRAMES = 2 * FPS
"""The online track's default chunk: 2 s (50 frames) of speaker per ``step`` (``--chunk-frames`` changes it)."""


@dataclass
class SpeakerBatch:
    """What a submission sees of B speaker samples (a whole clip, or one online chunk).

    Attributes:
        emotion: ``(B, T, 25)`` float32 speaker emotion.
        threedmm: ``(B, T, 58)`` float32 speaker 3DMM coefficients.
        audio: ``(B, L)`` float32 speaker audio at 16 kHz, ``L = T * 16000 / 25``.
        features: name -> ``(B, T, D)`` float32 per-frame features the submission asked for
            in :meth:`Submission.feature_specs`.
        indices: ``(B,)`` sample indices in the split.
        start_frame: first frame of this batch in the clip (0 offline; the chunk start online).
    """

    emotion: torch.Tensor
    threedmm: torch.Tensor
    audio: torch.Tensor
    indices: torch.Tensor
    features: dict[str, torch.Tensor] = field(default_factory=dict)
    start_frame: int = 0

    @property
    def batch_size(self) -> int:
        return self.emotion.shape[0]

    @property
    def num_frames(self) -> int:
        return self.emotion.shape[1]

    def to(self, device: torch.device | str) -> "SpeakerBatch":
        return SpeakerBatch(
            emotion=self.emotion.to(device),
            threedmm=self.threedmm.to(device),
            audio=self.audio.to(device),
            indices=self.indices,
            features={k: v.to(device) for k, v in self.features.items()},
            start_frame=self.start_frame,
        )


@dataclass
class Reactions:
    """Generated listener reactions.

    Attributes:
        emotion: ``(B, S, T, 25)`` emotion channels.
        threedmm: ``(B, S, T, 58)`` 3DMM coefficients, or None when the submission makes none.
    """

    emotion: torch.Tensor
    threedmm: torch.Tensor | None = None


class Submission:
    """Base class of every registered submission (see :func:`register_submission`).

    Subclasses override :meth:`generate`; optionally :meth:`fit` (with ``needs_fit = True``),
    :meth:`state_dict`/:meth:`load_state_dict` so a fitted submission can be cached, and
    :meth:`reset`/:meth:`step` for a native online mode.
    """

    name: ClassVar[str] = ""
    """Set by :func:`register_submission`."""
    needs_fit: ClassVar[bool] = False
    """True when :meth:`fit` must run on the training split before generating."""
    produces_3dmm: ClassVar[bool] = False
    """True when :attr:`Reactions.threedmm` is filled."""
    required_features: ClassVar[tuple["FeatureRequest", ...]] = ()
    """Per-frame features (names or ``FeatureSpec``, see ``react_bench.data.features``) put in
    :attr:`SpeakerBatch.features`; a submission whose features depend on its options overrides
    :meth:`feature_specs` instead."""
    synthetic_only: ClassVar[bool] = False
    """True for submissions that only work on the synthetic dataset (the Oracle)."""
    sampling_options: ClassVar[frozenset[str]] = frozenset()
    """Keys of :meth:`fit_config` that only generation reads (ReactDiff: temperature, guidance, DDIM
    steps and eta). The runner leaves them out of the checkpoint cache key, so changing one re-samples
    a cached fit instead of training again; :meth:`load_state_dict` then keeps this instance's values."""
    reference: ClassVar[bool] = False
    """True for reference rows (GT sees the answer; the Oracle samples the true process): leaderboards
    show them apart from the submissions and never mark them best."""

    def __init__(self, *, device: torch.device | str = "cpu", **config) -> None:
        self.device = torch.device(device)
        self.config = dict(config)

    def feature_specs(self) -> tuple["FeatureSpec", ...]:
        """The features this instance needs, with their options; what the runner loads for it.

        The default turns :attr:`required_features` into specs with default options.
        """
        from react_bench.data.features.base import as_feature_spec

        return tuple(as_feature_spec(feature) for feature in self.required_features)

    # --- training ------------------------------------------------------------
    def fit(self, train: "ReactDataset", *, val: "ReactDataset | None" = None, seed: int = 0) -> None:
        """Learn from the training split (model selection on ``val`` only, never on test)."""

    def base_submission(self) -> "Submission | None":
        """The submission whose whole fit begins this one's (``None``: none, the default).

        When it returns one, the runner fits it first (or loads its cached checkpoint, fitted with the
        same seed) and calls ``fit(train, val=val, seed=seed, base=that_submission)``; ``fit`` then
        continues from the base's state instead of repeating its training. ``reactdiff-lrs`` returns
        ``reactdiff`` with its own ReactDiff options: its stages 1-2 are exactly that fit.
        """
        return None

    def fit_config(self) -> dict:
        """The effective configuration: everything besides the training data and seed that decides the
        fitted state and the generations.

        It is recorded with every run and, less :attr:`sampling_options`, keys the runner's checkpoint
        cache. The default is the constructor options; a submission whose defaults live elsewhere (a
        config dataclass) returns its effective config.
        """
        return dict(self.config)

    def state_dict(self) -> dict:
        """Everything needed to generate after :meth:`fit`, for the runner's checkpoint cache."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""

    def bind(self, dataset: "ReactDataset") -> None:
        """Called by the runner with the split being generated, before the first batch.

        Only the Oracle needs it (it re-simulates the synthetic generator); others ignore it.
        """

    # --- offline track -------------------------------------------------------
    def generate(
        self, batch: SpeakerBatch, *, num_samples: int = 10, generator: torch.Generator
    ) -> Reactions | torch.Tensor:
        """Return ``num_samples`` reactions per speaker: ``(B, S, T, 25)`` (or :class:`Reactions`)."""
        raise NotImplementedError(f"submission {self.name!r} does not implement generate()")

    # --- online track ----------------------------------------------------------
    def reset(self, batch_size: int, *, num_samples: int = 10, generator: torch.Generator) -> None:
        """Start ``batch_size`` new streams; ``generator`` is the only source of randomness allowed.

        Called once per batch by the runner, and again by the causality audit, which streams the same
        speakers several times with identically seeded generators and expects the same frames up to
        each cut: keep no state across ``reset`` calls that changes the output. The default keeps the
        speaker prefix seen so far.
        """
        self._stream: list[SpeakerBatch] = []
        self._stream_samples = num_samples
        self._stream_generator = generator

    def step(self, chunk: SpeakerBatch) -> Reactions | torch.Tensor:
        """Listener frames for ``chunk``, ``(B, S, t, 25)`` (or :class:`Reactions`), in stream order.

        ``chunk`` holds speaker frames ``chunk.start_frame .. + t`` (any ``t >= 1``). Output frame
        ``start_frame + j`` may read speaker frames up to ``start_frame + j`` only, never the rest
        of the chunk (the online contract, see the module docstring).

        The default runs :meth:`generate` on the speaker prefix received so far and keeps its
        last ``t`` frames: that is causal only if :meth:`generate` itself is (its frame j reads
        no later speaker frame, and its random draws for frame j do not depend on the prefix
        length); the causality audit tells.
        """
        self._stream.append(chunk)
        prefix = _concat_batches(self._stream)
        out = self.generate(prefix, num_samples=self._stream_samples, generator=self._stream_generator)
        out = out if isinstance(out, Reactions) else Reactions(out)
        t = chunk.num_frames
        return Reactions(
            out.emotion[:, :, -t:],
            None if out.threedmm is None else out.threedmm[:, :, -t:],
        )


def _concat_batches(chunks: list[SpeakerBatch]) -> SpeakerBatch:
    first = chunks[0]
    return SpeakerBatch(
        emotion=torch.cat([c.emotion for c in chunks], dim=1),
        threedmm=torch.cat([c.threedmm for c in chunks], dim=1),
        audio=torch.cat([c.audio for c in chunks], dim=1),
        indices=first.indices,
        features={k: torch.cat([c.features[k] for c in chunks], dim=1) for k in first.features},
        start_frame=first.start_frame,
    )
