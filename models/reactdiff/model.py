"""``ReactDiff``: MMT encoder + latent DDIM (1-D UNet) + decoder, as one module.

Data flow (Li et al., ReactDiff):

- Stage 1 (autoencoder): the MMT encodes a person's own per-frame features to a latent
  ``(B, T, F)``; the decoder reconstructs that person's emotion and 3DMM from it. Trained on the
  *listener* of every sample, so the latent space is the space of facial reactions.
- Stage 2 (diffusion, MMT and decoder frozen): x0 = the listener's latent window (normalised by
  the training latents' mean/std, stored here as buffers), the condition = the *speaker's* latent
  window through the same MMT (same normalisation; with ``cond_voice_activity`` the speaker's
  voice activity joins it, :meth:`ReactDiff.condition`); the UNet learns eps.
- Sampling: speaker features -> MMT -> condition windows -> DDIM from fresh x_T (one per
  generation) -> denormalise (exact inverse of the normalisation) -> decoder -> reactions.
  With ``window_chain`` the windows of a generation are sampled one after the other, each
  conditioned on the last frame the UNet sampled for the one before (:meth:`ReactDiff.sample_windows`), so
  they join smoothly; without it all windows run in one batched DDIM loop, independent of each other.
"""

from __future__ import annotations

import torch
from torch import nn

from react_bench.errors import BadInputError

from .config import VOICE_ACTIVITY, ReactDiffConfig
from .decoder import ReactionDecoder
from .encoder import make_encoder
from .prior import LinearPrior
from .scheduler import DDIMScheduler
from .unet import UNet1D, chain_input


class ReactDiff(nn.Module):
    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        self.config = c = config
        self.encoder = make_encoder(c)
        self.decoder = ReactionDecoder(c)
        self.unet = UNet1D(c)
        if c.prior_look_ahead and not c.linear_prior:
            raise BadInputError("prior_look_ahead is a second weight set of the linear prior: set linear_prior=true too")
        self.prior = LinearPrior(c) if c.linear_prior else None
        self.register_buffer("latent_mean", torch.zeros(c.latent_dim))
        self.register_buffer("latent_std", torch.ones(c.latent_dim))
        self.scheduler = DDIMScheduler(c.train_timesteps, beta_schedule=c.beta_schedule)
        self.scheduler.set_timesteps(c.inference_steps)

    # --- latent normalisation -------------------------------------------------------------
    def normalize(self, z: torch.Tensor) -> torch.Tensor:
        """``(..., F)`` latent -> zero-mean unit-variance per channel (training statistics)."""
        return (z - self.latent_mean) / self.latent_std

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        """Exact inverse of :meth:`normalize`."""
        return z * self.latent_std + self.latent_mean

    # --- pieces -----------------------------------------------------------------------------
    def encode(self, streams: dict[str, torch.Tensor]) -> torch.Tensor:
        """``{name: (B, T, D)}`` -> normalised latent ``(B, T, F)``; T a multiple of the window."""
        return self.normalize(self.encoder(streams))

    def condition(self, streams: dict[str, torch.Tensor]) -> torch.Tensor:
        """Speaker streams ``{name: (B, T, D)}`` -> the UNet's per-frame condition ``(B, T, cond_channels)``:
        the normalised speaker latent, then (``cond_voice_activity``) the speaker's voice activity."""
        z = self.encode(streams)  # (B, T, F)
        if not self.config.reads_voice_activity:
            return z
        return torch.cat([z, streams[VOICE_ACTIVITY[0]].to(z)], dim=-1)  # (B, T, F + 2)

    def prior_mean(self, cond: torch.Tensor) -> torch.Tensor:
        """Condition windows ``(N, 2L, C)`` -> the prior mean ``(N, L, F)`` the diffusion works around
        (``linear_prior``; zeros without it, so x0 is then the latent itself); ``(N, 3L, C)``, holding the
        speaker's next window too (offline, ``prior_look_ahead``), -> the look-ahead prior's mean."""
        if self.prior is None:
            return cond.new_zeros(cond.shape[0], self.config.window, self.config.latent_dim)
        return self.prior(cond)

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised latent ``(B, T, F)`` -> ``(emotion (B, T, 25), threedmm (B, T, 58))``."""
        return self.decoder(self.denormalize(z))

    def diffusion_loss(self, x0: torch.Tensor, cond: torch.Tensor, generator: torch.Generator | None = None,
                       chain: torch.Tensor | None = None, *, unet: nn.Module | None = None,
                       rows: slice | torch.Tensor = slice(None)) -> torch.Tensor:
        """Stage 2's loss (``denoise_loss`` error of the eps prediction; of x0 without diffusion) on windows
        ``x0 (N, L, F)`` (normalised latents), ``cond (N, 2L, C)`` (:meth:`condition`: the UNet's, so the residual
        is the causal prior's); ``chain (N, F + 1)``: the previous
        listener window's residual around its prior (:func:`.unet.chain_input`; x0 itself without ``linear_prior``),
        with ``window_chain``.

        ``unet``: the network to run (default ``self.unet``; the training passes it wrapped in DDP).
        ``rows``: the windows this rank scores. Timesteps and noise are drawn for all N windows first
        and then cut to ``rows``, so every rank draws the same numbers and the generator stays in step.
        """
        unet = self.unet if unet is None else unet
        N = x0.shape[0]
        x0 = (x0 - self.prior_mean(cond)).transpose(1, 2)  # (N, F, L): the residual around the prior
        chain = None if chain is None else chain[rows]
        if not self.config.use_diffusion:  # ablation: regress x0 directly from the condition
            x0 = x0[rows]
            pred = unet(torch.zeros_like(x0), torch.zeros(x0.shape[0], dtype=torch.long, device=x0.device), cond[rows], chain)
            return denoising_error(pred, x0, self.config.denoise_loss)
        t = torch.randint(0, self.scheduler.num_train_timesteps, (N,), generator=generator, device="cpu").to(x0.device)
        eps = torch.randn(x0.shape, generator=generator, device="cpu").to(x0.device)
        t, eps, x0 = t[rows], eps[rows], x0[rows]
        x_t = self.scheduler.add_noise(x0, eps, t)
        return denoising_error(unet(x_t, t, cond[rows], chain), eps, self.config.denoise_loss)

    def draw_noise(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` standard-normal windows ``(n, F, L)``: the x_T of :meth:`sample_latents`, before its temperature."""
        c = self.config
        return torch.randn((n, c.latent_dim, c.window), generator=generator, device=generator.device)

    @torch.no_grad()
    def sample_latents(self, cond: torch.Tensor, *, generator: torch.Generator,
                       noise: torch.Tensor | None = None, chain: torch.Tensor | None = None) -> torch.Tensor:
        """Condition windows ``(N, 2L, C)`` -> sampled normalised x0 ``(N, L, F)`` (one x_T each): the prior mean
        plus ``residual_scale`` times :meth:`sample_residuals`. ``(N, 3L, C)`` (offline with
        ``prior_look_ahead``): the UNet reads the first 2L frames, the prior all of them."""
        return self._latents(cond, self.sample_residuals(cond, generator=generator, noise=noise, chain=chain))

    def _latents(self, cond: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """x0 ``(N, L, F)`` from a window's condition ``(N, 2L or 3L, C)`` and its sampled ``residual (N, L, F)``."""
        return self.prior_mean(cond) + self.config.residual_scale * residual

    @torch.no_grad()
    def sample_residuals(self, cond: torch.Tensor, *, generator: torch.Generator,
                         noise: torch.Tensor | None = None, chain: torch.Tensor | None = None) -> torch.Tensor:
        """Condition windows ``(N, 2L, C)`` (or ``(N, 3L, C)``, of which the UNet reads the first 2L frames) ->
        what the UNet samples, ``(N, L, F)``: the residual around the prior mean (x0 itself without ``linear_prior``).

        x_T is ``temperature * noise``, ``noise (N, F, L)`` drawn here by :meth:`draw_noise` unless given
        (the online path draws it once per window and re-uses it while the window fills up); with
        ``guidance_scale`` w != 1 the noise estimate is ``eps_null + w (eps_cond - eps_null)``
        (classifier-free guidance; the null condition is zeros, the mean latent, as in training with
        ``cond_drop_prob``; the ``chain (N, F + 1)`` of the previous window's residual is the same in both
        passes: guidance is about the speaker). Without diffusion: the UNet's regression of the residual.
        """
        N, L, F = cond.shape[0], self.config.window, self.config.latent_dim
        cond = cond[:, :2 * L]  # (N, 2L, C): the UNet's (the speaker's previous and current window)
        if not self.config.use_diffusion:
            zero_t = torch.zeros(N, dtype=torch.long, device=cond.device)
            return self.unet(torch.zeros(N, F, L, device=cond.device), zero_t, cond, chain).transpose(1, 2)
        if noise is None:
            noise = self.draw_noise(N, generator=generator)
        x = noise.to(cond.device) * self.config.temperature  # x_T
        w = self.config.guidance_scale
        for t in self.scheduler.timesteps:
            t_batch = torch.full((N,), int(t), device=cond.device, dtype=torch.long)
            if w == 1.0:
                eps = self.unet(x, t_batch, cond, chain)
            else:  # classifier-free guidance: conditional and null-condition eps in one batch
                eps_cond, eps_null = self.unet(x.repeat(2, 1, 1), t_batch.repeat(2), torch.cat([cond, torch.zeros_like(cond)]),
                                               None if chain is None else chain.repeat(2, 1)).chunk(2)
                eps = eps_null + w * (eps_cond - eps_null)
            x, _ = self.scheduler.step(eps, int(t), x, eta=self.config.eta, generator=generator)
        return x.transpose(1, 2)  # (N, L, F)

    @torch.no_grad()
    def sample_windows(self, cond: torch.Tensor, *, generator: torch.Generator, noise: torch.Tensor | None = None,
                       previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Consecutive condition windows ``(M, W, 2L, C)`` (``(M, W, 3L, C)`` reading ahead) of M streams ->
        ``(latents, residuals)``, each ``(M, W, L, F)``: the sampled x0 and what the UNet sampled of it
        (:meth:`sample_residuals`; the same without ``linear_prior`` and with ``residual_scale`` 1).

        ``noise (M, W, F, L)``: each window's x_T before its temperature (drawn here, in the order of
        ``M * W`` rows, when None). With ``window_chain`` window w is sampled after window w - 1 and
        conditioned on the last frame of its residual (the UNet continues what it drew; the prior mean is
        continuous in time by itself); ``previous (M, L, F)`` is the residual of the window before window 0
        (the last finished window of an online stream), None at a clip's start. Without it the
        ``M * W`` windows run as one batch.
        """
        M, W, span, C = cond.shape
        L, F = self.config.window, self.config.latent_dim
        if noise is None and self.config.use_diffusion:
            noise = self.draw_noise(M * W, generator=generator).reshape(M, W, F, L)
        if not self.config.window_chain:
            flat_cond, flat = cond.reshape(M * W, span, C), None if noise is None else noise.reshape(M * W, F, L)
            residuals = self.sample_residuals(flat_cond, generator=generator, noise=flat)
            return self._latents(flat_cond, residuals).reshape(M, W, L, F), residuals.reshape(M, W, L, F)
        residuals = []
        for w in range(W):  # autoregressive over windows: w reads the sampled w - 1 (all of it before w's frames)
            chain = None if previous is None else chain_input(previous)
            previous = self.sample_residuals(cond[:, w], generator=generator, chain=chain,
                                             noise=None if noise is None else noise[:, w])  # (M, L, F)
            residuals.append(previous)
        residuals = torch.stack(residuals, dim=1)  # (M, W, L, F)
        latents = self._latents(cond.reshape(M * W, span, C), residuals.reshape(M * W, L, F)).reshape(M, W, L, F)
        return latents, residuals

    @torch.no_grad()
    def generate(self, streams: dict[str, torch.Tensor], *, num_samples: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Speaker streams ``(B, T, D)`` -> ``(emotion (B, S, T, 25), threedmm (B, S, T, 58))``.

        All S generations x B speakers run as one batch; their W windows too without ``window_chain``,
        window after window with it (:meth:`sample_windows`). This is the offline track: with
        ``prior_look_ahead`` each window's condition holds the speaker's next window too.
        """
        L = self.config.window
        streams, T = pad_streams(streams, L)
        cond = condition_windows(self.condition(streams), L, ahead=self.config.reads_ahead)  # (B, W, 2L or 3L, C)
        B, W, span, C = cond.shape
        F, Tp = self.config.latent_dim, W * L
        cond = cond[:, None].expand(B, num_samples, W, span, C).reshape(-1, W, span, C)  # (B*S, W, span, C)
        x0, _ = self.sample_windows(cond, generator=generator)  # (B*S, W, L, F)
        emotion, threedmm = self.decode(x0.reshape(B * num_samples, Tp, F))
        return (emotion.reshape(B, num_samples, Tp, -1)[:, :, :T],
                threedmm.reshape(B, num_samples, Tp, -1)[:, :, :T])


def denoising_error(pred: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """Stage 2's loss: mean absolute (``"l1"``) or squared (``"l2"``) error of ``pred`` against ``target``."""
    if loss == "l1":
        return (pred - target).abs().mean()
    if loss == "l2":
        return (pred - target).square().mean()
    raise BadInputError(f"denoise_loss must be 'l1' or 'l2'; got {loss!r}")


def condition_windows(z: torch.Tensor, window: int, *, ahead: bool = False) -> torch.Tensor:
    """Speaker condition ``(B, T, C)`` (T a multiple of ``window``) -> ``(B, W, 2 window, C)``.

    Window w holds the speaker's windows w - 1 and w (zeros, the mean latent, before the clip starts):
    what a listener window may depend on online, never a later frame. ``ahead`` (offline only):
    ``(B, W, 3 window, C)``, window w + 1 too (zeros past the clip's end).
    """
    span = 3 if ahead else 2
    padded = nn.functional.pad(z, (0, 0, window, window * (span - 2)))  # (B, T + (span - 1) window, C)
    return padded.unfold(1, span * window, window).transpose(2, 3)  # (B, W, span window, C)


def pad_streams(streams: dict[str, torch.Tensor], window: int) -> tuple[dict[str, torch.Tensor], int]:
    """Zero-pad every ``(B, T, D)`` stream at the end to a multiple of ``window``; returns (padded, T)."""
    T = next(iter(streams.values())).shape[1]
    pad = (-T) % window
    if pad == 0:
        return streams, T
    return {k: nn.functional.pad(v, (0, 0, 0, pad)) for k, v in streams.items()}, T
