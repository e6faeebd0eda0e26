"""The registered submissions: ``reactdiff`` and the ablations of the paper's Table 4 (``-nommt``,
``-nodiffusion``, ``-novideo`` (old name ``-novisual``, kept as an alias), ``-noaudio``).

Online track (``reset``/``step``): natively frame-causal (listener frame t reads speaker frames <= t
only, the online contract). The encoder's and decoder's attention and, with ``unet_causal``, the
UNet are frame-causal, so each ``step`` runs the encoder over the speaker prefix received so far,
samples the latents of the windows the chunk touches (each window's x_T drawn once; with
``window_chain`` the first of them conditioned on the last finished window, which is final), and
decodes the listener prefix with the causal decoder, keeping the chunk's frames. A config that is not
frame-causal (``causal=False`` or ``unet_causal=False``) is refused online.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import torch

from react_bench.errors import BadInputError, UnknownNameError
from react_bench.submissions import Reactions, SpeakerBatch, Submission, register_submission

from .config import PRESETS, SAMPLING_FIELDS, ReactDiffConfig
from .encoder import SPEAKER_EMOTION, check_stream_dim, input_dims
from .model import ReactDiff, condition_windows, pad_streams
from .train import fit as fit_model

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


class _ReactDiffBase(Submission):
    needs_fit = True
    produces_3dmm = True
    preset: str = "small"
    overrides: dict = {}
    sampling_options = SAMPLING_FIELDS

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
    def fit(self, train: "ReactDataset", *, val: "ReactDataset | None" = None, seed: int = 0,
            distributed: bool = False) -> None:
        """``distributed``: every rank of the torchrun process group calls ``fit`` and they train one
        model with DistributedDataParallel (``models/reactdiff/train.py``); the ranks end with the same
        weights. The runner passes it from ``fit_or_load(collective=True)`` (``react-bench train``)."""
        # fresh weights drawn from the seed, so a fit never depends on the caller's global RNG state
        # (the same initial weights on every rank, too)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = ReactDiff(self.model_config).to(self.device)
        with _threads(self.model_config.num_threads):
            fit_model(self.model, train, val, seed=seed, device=self.device, distributed=distributed)
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
        # the fitted network from the checkpoint, sampled as this instance was configured (SAMPLING_FIELDS
        # are not part of the cache key: a run with --set temperature=... loads the default fit)
        sampling = {name: getattr(self.model_config, name) for name in SAMPLING_FIELDS}
        self.model_config = ReactDiffConfig.from_dict({**state["config"], **sampling})
        self.model = ReactDiff(self.model_config).to(self.device)
        self.model.load_state_dict(state["weights"], strict=True)
        self.model.eval()

    # --- offline ----------------------------------------------------------------------------
    def _streams(self, batch: SpeakerBatch) -> dict[str, torch.Tensor]:
        out = {}
        for name in input_dims(self.model_config):
            if name == SPEAKER_EMOTION:
                out[name] = batch.emotion.float().to(self.device)
            elif name in batch.features:
                check_stream_dim(self.model_config, name, batch.features[name].shape[-1])
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
    def check_online(self) -> None:
        """Refuse a config whose listener frames read later speaker frames (the online contract)."""
        c = self.model_config
        if not (c.causal and c.unet_causal):
            raise BadInputError(
                f"submission {self.name!r} was built with causal={c.causal}, unet_causal={c.unet_causal}; the "
                f"online track needs a frame-causal model (listener frame t may read speaker frames <= t only): "
                f"train it with --set causal=true --set unet_causal=true"
            )

    def reset(self, batch_size: int, *, num_samples: int = 10, generator: torch.Generator) -> None:
        self.check_online()
        self._prefix: dict[str, torch.Tensor] | None = None  # speaker streams so far, (B, t, D)
        self._latents: torch.Tensor | None = None  # sampled listener latents of the finished windows, (B*S, w L, F)
        self._residuals: torch.Tensor | None = None  # what the UNet sampled of them, (B*S, w L, F)
        self._noise: torch.Tensor | None = None  # x_T of the window being filled, (B*S, F, L): drawn once per window
        self._stream_samples = num_samples
        self._stream_generator = generator
        self._batch_size = batch_size

    @torch.no_grad()
    def step(self, chunk: SpeakerBatch) -> Reactions:
        """Listener frames of ``chunk`` ``(B, S, t, 25)``, from the speaker prefix received so far.

        Chunks of any length work. Every window the chunk touches is sampled again from the prefix
        (zero-padded to the window's end) with that window's x_T, drawn from the run's generator when
        the window starts and kept until it is complete. With the frame-causal encoder, UNet and
        decoder, frame j of a window depends on x_T and on speaker frames <= j only, so the frames
        already returned are exactly what re-sampling gives again (DDIM with eta = 0), and the stream
        does not depend on how it is chunked.
        """
        m, L = self.model, self.model_config.window
        self.model.eval()
        new = self._streams(chunk)
        t = chunk.num_frames
        prefix = new if self._prefix is None else {k: torch.cat([self._prefix[k], v], 1) for k, v in new.items()}
        self._prefix = prefix
        with _threads(self.model_config.num_threads):
            padded, total = pad_streams(prefix, L)
            cond = condition_windows(m.condition(padded), L)  # (B, W, 2L, C): causal, so frames <= total are final
            B, W, _, C = cond.shape
            F = self.model_config.latent_dim
            S = self._stream_samples
            first = 0 if self._latents is None else self._latents.shape[1] // L  # windows before it are final
            keep = self._latents if self._latents is not None else cond.new_zeros(B * S, 0, F)
            k = W - first  # windows touched by this chunk
            todo = cond[:, first:][:, None].expand(B, S, k, 2 * L, C).reshape(B * S, k, 2 * L, C)  # (B*S, k, 2L, C)
            noise = None
            if self.model_config.use_diffusion:
                drawn = [] if self._noise is None else [self._noise]
                while len(drawn) < k:  # windows starting in this chunk, in stream order
                    drawn.append(m.draw_noise(B * S, generator=self._stream_generator))
                noise = torch.stack(drawn, dim=1)  # (B*S, k, F, L), as todo
            kept_residuals = self._residuals if self._residuals is not None else keep
            # with window_chain, the first window touched joins the last finished one (final: it is complete)
            previous = kept_residuals[:, -L:] if first > 0 else None
            x0, residuals = m.sample_windows(todo, generator=self._stream_generator, noise=noise, previous=previous)
            x0, residuals = x0.reshape(B * S, k * L, F), residuals.reshape(B * S, k * L, F)
            complete = total // L - first  # windows of this chunk that are now complete
            self._latents = torch.cat([keep, x0[:, : complete * L]], dim=1)
            self._residuals = torch.cat([kept_residuals, residuals[:, : complete * L]], dim=1)
            self._noise = drawn[complete] if noise is not None and complete < k else None
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


@register_submission("reactdiff-novideo", aliases=("reactdiff-novisual",))
class ReactDiffNoVideo(_ReactDiffBase):
    """ReactDiff without the facial (video) branch (ablation, Table 4 "w/o video"; alias reactdiff-novisual)."""

    overrides = {"use_visual": False}


ReactDiffNoVisual = ReactDiffNoVideo
"""The class's name before the rename to ``reactdiff-novideo``."""


@register_submission("reactdiff-nommt")
class ReactDiffNoMMT(_ReactDiffBase):
    """ReactDiff with the Multi-Modality Transformer replaced by a per-frame linear projection (ablation)."""

    overrides = {"use_mmt": False}


@register_submission("reactdiff-nodiffusion")
class ReactDiffNoDiffusion(_ReactDiffBase):
    """ReactDiff with the diffusion replaced by a deterministic regression of the latent (ablation).

    ``residual_scale`` is 1: the regression of the residual around the prior is already the conditional mean,
    so there is no sample to shrink towards the prior (the full model's 0.3 was chosen for diffusion samples).
    """

    overrides = {"use_diffusion": False, "residual_scale": 1.0}
