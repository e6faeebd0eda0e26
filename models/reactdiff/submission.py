"""The registered submissions: ``reactdiff`` and its ablations (noaudio, novisual, nodiffusion).

Online track (``reset``/``step``): natively causal. The model's attention is frame-causal, so
each ``step`` runs the encoder over the speaker prefix received so far (never a future frame),
samples only the new window's latents (conditioned on the speaker's previous and current windows, whose
latents already summarise the past), and decodes the listener prefix with the causal decoder,
keeping the new window's frames.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import torch

from react_bench.errors import BadInputError, UnknownNameError
from react_bench.submissions import Reactions, SpeakerBatch, Submission, register_submission

from .config import PRESETS, ReactDiffConfig
from .encoder import SPEAKER_EMOTION, stream_dims
from .model import ReactDiff, condition_windows, pad_streams
from .train import fit as fit_model

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


class _ReactDiffBase(Submission):
    needs_fit = True
    produces_3dmm = True
    preset: str = "small"
    overrides: dict = {}

    def __init__(self, *, device="cpu", **config) -> None:
        super().__init__(device=device, **config)
        preset = str(config.pop("preset", self.preset))
        if preset not in PRESETS:
            raise UnknownNameError(f"unknown ReactDiff preset {preset!r}; available: {', '.join(PRESETS)}")
        base = PRESETS[preset]
        self.model_config = ReactDiffConfig.from_dict({**asdict(base), **self.overrides, **config})
        self.model = ReactDiff(self.model_config).to(self.device).eval()

    def feature_specs(self):
        # from the instance's config, so options such as dims and the wav2vec2 path reach the extractors
        return self.model_config.feature_specs

    # --- training, checkpoints --------------------------------------------------------------
    def fit(self, train: "ReactDataset", *, val: "ReactDataset | None" = None, seed: int = 0) -> None:
        # fresh weights drawn from the seed, so a fit never depends on the caller's global RNG state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = ReactDiff(self.model_config).to(self.device)
        with _threads(self.model_config.num_threads):
            fit_model(self.model, train, val, seed=seed, device=self.device)
        self.model.eval()

    def fit_config(self) -> dict:
        return asdict(self.model_config)

    def state_dict(self) -> dict:
        state = {k: v.cpu() for k, v in self.model.state_dict().items()}
        return {
            "config": asdict(self.model_config),
            "weights": state,  # the EMA weights chosen on val: encoder, decoder, UNet incl. the condition MLP
            "latent_stats": {"mean": state["latent_mean"], "std": state["latent_std"]},
        }

    def load_state_dict(self, state: dict) -> None:
        self.model_config = ReactDiffConfig.from_dict(state["config"])
        self.model = ReactDiff(self.model_config).to(self.device)
        self.model.load_state_dict(state["weights"], strict=True)
        self.model.eval()

    # --- offline ----------------------------------------------------------------------------
    def _streams(self, batch: SpeakerBatch) -> dict[str, torch.Tensor]:
        out = {}
        for name in stream_dims(self.model_config):
            if name == SPEAKER_EMOTION:
                out[name] = batch.emotion.float().to(self.device)
            elif name in batch.features:
                out[name] = batch.features[name].float().to(self.device)
            else:
                raise BadInputError(
                    f"submission {self.name!r} needs feature {name!r} in SpeakerBatch.features; got "
                    f"{sorted(batch.features)}. The runner loads {[spec.name for spec in self.feature_specs()]}."
                )
        return out

    def generate(self, batch: SpeakerBatch, *, num_samples: int = 10, generator: torch.Generator) -> Reactions:
        self.model.eval()
        with _threads(self.model_config.num_threads):
            emotion, threedmm = self.model.generate(self._streams(batch), num_samples=num_samples, generator=generator)
        return Reactions(emotion, threedmm)

    # --- online -----------------------------------------------------------------------------
    def reset(self, batch_size: int, *, num_samples: int = 10, generator: torch.Generator) -> None:
        if not self.model_config.causal:
            raise BadInputError(
                f"submission {self.name!r} was built with causal=False; the online track needs a causal model "
                f"(train it with causal=True)"
            )
        self._prefix: dict[str, torch.Tensor] | None = None  # speaker streams so far, (B, t, D)
        self._latents: torch.Tensor | None = None  # sampled listener latents so far, (B*S, t, F)
        self._stream_samples = num_samples
        self._stream_generator = generator
        self._batch_size = batch_size

    @torch.no_grad()
    def step(self, chunk: SpeakerBatch) -> Reactions:
        m, L = self.model, self.model_config.window
        self.model.eval()
        new = self._streams(chunk)
        t = chunk.num_frames
        prefix = new if self._prefix is None else {k: torch.cat([self._prefix[k], v], 1) for k, v in new.items()}
        self._prefix = prefix
        with _threads(self.model_config.num_threads):
            padded, total = pad_streams(prefix, L)
            cond = condition_windows(m.encode(padded), L)  # (B, W, 2L, F): causal, so frames <= total are final
            B, _, _, F = cond.shape
            S = self._stream_samples
            done = 0 if self._latents is None else self._latents.shape[1]
            first_window = done // L  # windows before it are fully sampled already
            keep = self._latents[:, : first_window * L] if self._latents is not None else cond.new_zeros(B * S, 0, F)
            todo = cond[:, first_window:]  # (B, k, 2L, F) windows touched by this chunk
            k = todo.shape[1]
            todo = todo[:, None].expand(B, S, k, 2 * L, F).reshape(-1, 2 * L, F)
            x0 = m.sample_latents(todo, generator=self._stream_generator).reshape(B * S, k * L, F)
            latents = torch.cat([keep, x0], dim=1)[:, :total]  # (B*S, total, F)
            self._latents = latents if total % L == 0 else latents[:, : first_window * L]
            emotion, threedmm = m.decode(torch.cat([keep, x0], dim=1))  # causal decoder
        emotion = emotion[:, total - t: total].reshape(B, S, t, -1)
        threedmm = threedmm[:, total - t: total].reshape(B, S, t, -1)
        return Reactions(emotion, threedmm)


class _threads:
    """Set torch's CPU thread count for a block, then restore it."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


@register_submission("reactdiff")
class ReactDiffSubmission(_ReactDiffBase):
    """ReactDiff (Li et al.): MMT encoder, latent DDIM with a 1-D UNet, transformer decoder; small config."""


@register_submission("reactdiff-noaudio")
class ReactDiffNoAudio(_ReactDiffBase):
    """ReactDiff without the acoustic branch (ablation)."""

    overrides = {"use_audio": False}


@register_submission("reactdiff-novisual")
class ReactDiffNoVisual(_ReactDiffBase):
    """ReactDiff without the facial branch (ablation)."""

    overrides = {"use_visual": False}


@register_submission("reactdiff-nodiffusion")
class ReactDiffNoDiffusion(_ReactDiffBase):
    """ReactDiff with the diffusion replaced by a deterministic regression of the latent (ablation)."""

    overrides = {"use_diffusion": False}
