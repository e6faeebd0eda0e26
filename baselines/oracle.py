"""The Oracle: samples from the synthetic generator's own listener process (synthetic data only).

It is the reference upper bound on the synthetic dataset: its reactions come from the very
process that produced the real listeners, with a fresh listener style per sample.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from react_bench.submissions import Reactions, SpeakerBatch, Submission, register_submission

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


def _seed_from(generator: torch.Generator) -> int:
    """A numpy seed drawn from the run's torch generator, so the Oracle follows the run seed."""
    return int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device).item())


@register_submission("oracle")
class Oracle(Submission):
    """Samples from the synthetic generator's true listener process: the upper bound (synthetic data only)."""

    synthetic_only = True
    produces_3dmm = True

    def bind(self, dataset: "ReactDataset") -> None:
        if not dataset.is_synthetic:
            raise ValueError(
                f"submission 'oracle' only works on the synthetic dataset (it re-runs the synthetic "
                f"listener process); {getattr(dataset, 'root', dataset)!r} is not synthetic. "
                f"Use the default dataset or one made by `react-bench data synth`."
            )
        from react_bench.data.synth import ListenerConfig

        # The listener process the dataset was generated with (JSON turned its tuples into lists).
        recorded = (dataset.synthetic_config or {}).get("config", {}).get("listener")
        self._listener = None
        if recorded is not None:
            self._listener = ListenerConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in recorded.items()})
        self._bound = True

    def _sample(self, batch: SpeakerBatch, num_samples: int, seed: int) -> Reactions:
        if not getattr(self, "_bound", False):
            raise ValueError("submission 'oracle' needs bind(dataset) with a synthetic dataset before generating")
        from react_bench.data.synth import sample_listener_reactions

        emotion, threedmm = sample_listener_reactions(
            batch.emotion.cpu().numpy(),  # (B, T, 25)
            batch.audio.cpu().numpy(),  # (B, L)
            num_samples=num_samples,
            rng=np.random.default_rng(seed),
            config=self._listener,
        )
        return Reactions(
            torch.as_tensor(np.asarray(emotion, dtype=np.float32), device=self.device),  # (B, S, T, 25)
            torch.as_tensor(np.asarray(threedmm, dtype=np.float32), device=self.device),  # (B, S, T, 58)
        )

    def generate(self, batch, *, num_samples=10, generator):
        return self._sample(batch, num_samples, _seed_from(generator))

    def reset(self, batch_size, *, num_samples=10, generator):
        self._stream: list[SpeakerBatch] = []
        self._stream_samples = num_samples
        # One seed per stream, reused at every step: the sampled listener styles stay the same
        # from window to window, so the stream is one coherent reaction.
        self._stream_seed = _seed_from(generator)

    def step(self, chunk):
        # Causal by construction: the process is re-run on the speaker prefix received so far
        # (the runner has handed over no later frame) and the last t frames are kept.
        from react_bench.submissions.interface import _concat_batches

        self._stream.append(chunk)
        out = self._sample(_concat_batches(self._stream), self._stream_samples, self._stream_seed)
        t = chunk.num_frames
        return Reactions(out.emotion[:, :, -t:], out.threedmm[:, :, -t:])
