"""The Oracle: samples from the synthetic conversation process itself (synthetic data only).

It is the reference upper bound on the synthetic dataset: given a speaker clip it draws the
partner's reaction from the generator's own process, by
:func:`react_bench.data.synth.listener.react_to` (its module docstring says how exact the sampler
is: the turn schedule is rebuilt from the speaker's talk mask, the speaker's lagged reactions to
the listener's own turns are inverted, the listener's traits come from the prior).

Offline (``generate``) the sampler reads the speaker clip ahead by the speaker's reaction lag.
Online (``reset``/``step``) it runs the causal variant: all randomness (traits, prior draws, private
white noise in fixed blocks) is drawn once per stream at ``reset``, and frame t depends only on
speaker frames 0..t and that draw, so the frames of a prefix run are the first frames of the full
run, whatever the chunking.

Option ``draws``: ``"conversation"`` (the default) makes the S reactions to a speaker S listeners
(reaction traits from the prior, new private noise) in one imagined conversation (one draw of the
speaker's lag and gains, the closing gaps, the listener's mood and turn voicing), the way the
dataset's true reaction sets are built (R listeners in the one true conversation);
``"independent"`` (``Oracle(draws="independent")``) draws everything per reaction, i.e. S
independent draws of the approximate posterior p(listener | speaker): broader sets (FRDiv 1.6x the
true sets') and a lower FREnergy, since the energy score rewards the marginal (docs/data.md
measures both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from react_bench.errors import BadInputError
from react_bench.submissions import Reactions, SpeakerBatch, Submission, register_submission
from react_bench.submissions.interface import _concat_batches

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


DRAW_MODES = ("conversation", "independent")
"""The Oracle's ways of drawing its S reactions to a speaker (module docstring)."""


def _seed_from(generator: torch.Generator) -> int:
    """A numpy seed drawn from the run's torch generator, so the Oracle follows the run seed."""
    return int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device).item())


@register_submission("oracle")
class Oracle(Submission):
    """Samples from the synthetic generator's true conversation process: the upper bound (synthetic data only)."""

    synthetic_only = True
    produces_3dmm = True
    reference = True  # the true process itself: a bound to compare with, not a submission

    def bind(self, dataset: "ReactDataset") -> None:
        if not dataset.is_synthetic:
            raise BadInputError(
                f"submission 'oracle' only works on the synthetic dataset (it re-runs the synthetic "
                f"conversation process); {getattr(dataset, 'root', dataset)!r} is not synthetic. "
                f"Use the default dataset or one made by `react-bench data synth`."
            )
        from react_bench.data.synth.config import GENERATOR_VERSION, SynthConfig

        record = dataset.synthetic_config or {}
        if record.get("generator_version") != GENERATOR_VERSION:
            raise BadInputError(
                f"submission 'oracle' needs a dataset of synthetic generator version {GENERATOR_VERSION}; "
                f"{dataset.root} was made by version {record.get('generator_version')!r}. "
                f"Delete it and regenerate it with `react-bench data synth`."
            )
        self._config = SynthConfig.from_dict(record["config"])

    def _check_bound(self) -> None:
        if not hasattr(self, "_config"):
            raise BadInputError("submission 'oracle' needs bind(dataset) with a synthetic dataset before generating")

    def _react(self, batch: SpeakerBatch, draws, *, causal: bool) -> Reactions:
        from react_bench.data.synth.listener import react_to, talk_mask

        emotion = batch.emotion.cpu().numpy()  # (B, t, 25)
        audio = batch.audio.cpu().numpy()  # (B, t * 640)
        talk = np.stack([talk_mask(a, emotion.shape[1], threshold=self._config.listener.talk_threshold) for a in audio])
        out_emotion, out_threedmm = react_to(emotion, talk, draws, self._config, causal=causal)
        return Reactions(
            torch.as_tensor(out_emotion, device=self.device),  # (B, S, t, 25)
            torch.as_tensor(out_threedmm, device=self.device),  # (B, S, t, 58)
        )

    def _draws(self, batch_size: int, num_samples: int, generator: torch.Generator):
        from react_bench.data.synth.listener import OracleDraws

        rng = np.random.default_rng(_seed_from(generator))
        mode = self.config.get("draws", "conversation")
        if mode not in DRAW_MODES:
            raise BadInputError(f"submission 'oracle': draws must be one of {', '.join(DRAW_MODES)}; got {mode!r}")
        return OracleDraws.sample(rng, batch_size, num_samples, self._config, shared_conversation=mode == "conversation")

    def generate(self, batch, *, num_samples=10, generator):
        self._check_bound()
        return self._react(batch, self._draws(batch.batch_size, num_samples, generator), causal=False)

    def reset(self, batch_size, *, num_samples=10, generator):
        self._check_bound()
        self._stream: list[SpeakerBatch] = []
        # One draw per stream, reused at every step (fixed noise blocks): a prefix run gives the same frames.
        self._stream_draws = self._draws(batch_size, num_samples, generator)

    def step(self, chunk):
        # Causal by construction: the causal sampler re-runs on the speaker prefix received so far
        # (the runner has handed over no later frame) and the last t frames are kept.
        self._stream.append(chunk)
        out = self._react(_concat_batches(self._stream), self._stream_draws, causal=True)
        t = chunk.num_frames
        return Reactions(out.emotion[:, :, -t:], out.threedmm[:, :, -t:])
