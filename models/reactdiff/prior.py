"""``linear_prior``: a closed-form linear estimate of the listener latent from the UNet's condition,
around which stage 2 diffuses (deviation; the prior mean of CARD, Han et al. 2022, "Classification
and Regression Diffusion Models", here a ridge regression fitted once at the start of stage 2).

For frame j of a listener window the features are read off the condition window ``(N, 2L, C)``
(the speaker's previous and current window), all at frames <= j of the current window, so the prior
is as frame-causal as the UNet:

- a constant;
- the condition (speaker latent, and its voice activity with ``cond_voice_activity``) delayed by
  each of :data:`PRIOR_LAGS` frames;
- with voice activity: the latent lags again times "the speaker has been silent for at least
  :data:`LONG_SILENCE_S`", so the prior has separate coefficients for "the speaker talks" and "the
  listener holds the floor" (what a linear probe of the latent on the synthetic set needs, docs/reactdiff.md).

Reading ahead (``prior_look_ahead``, offline only): a second weight set also reads the condition
:data:`PRIOR_LEADS` frames *ahead* (and those leads times the long-silence indicator) from a condition
window ``(N, 3L, C)`` that holds the speaker's next window too. On the offline track the whole speaker
clip is known, and what a listener felt while it held the floor shows in the speaker's *later*
reactions to it (the speaker follows the listener 0.2-1.5 s late). The prior picks its weights by the
condition it is given: ``(N, 3L, C)`` reads ahead, ``(N, 2L, C)`` (the online track, and the UNet's
training) is the causal prior. The UNet always learns the residual around the causal prior, so the
online track is exactly the model without look-ahead.

The weights solve ``(X^T X + lambda n I) W = X^T Y`` in float64 over the training windows (the
constant not penalised), lambda chosen by the mean squared error on the validation windows among
:data:`PENALTIES`. The UNet then learns the residual ``x0 - prior(cond)``; sampling adds the prior back.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ReactDiffConfig
from .unet import delayed

PRIOR_LAGS = (0, 3, 6, 10, 15, 20, 28, 38)
"""Frames of speaker history per feature (0 to 1.5 s, the range of reaction lags); each < the window."""

PRIOR_LEADS = (3, 6, 10, 15, 20, 28, 38, 50)
"""Frames the look-ahead prior reads the speaker ahead (to 2 s: the speaker's reaction lag plus the
smoothing of affect); each <= the window."""

LONG_SILENCE_S = 0.8
"""Seconds of speaker silence from which the prior reads the floor as the listener's."""

PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
"""Ridge penalties tried on val, per training row (lambda n)."""


class LinearPrior(nn.Module):
    """``cond (N, 2L, C)`` or, reading ahead, ``(N, 3L, C)`` -> prior mean ``(N, L, F)`` of the normalised
    listener latent; the weights are buffers (``weight``, and ``weight_ahead`` with ``prior_look_ahead``)."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        self.config = config
        self.lags = tuple(lag for lag in PRIOR_LAGS if lag < config.window)
        self.leads = tuple(lead for lead in PRIOR_LEADS if lead <= config.window) if config.prior_look_ahead else ()
        self.register_buffer("weight", torch.zeros(self.num_features(ahead=False), config.latent_dim))
        self.register_buffer("penalty", torch.zeros((), dtype=torch.float64))  # the chosen lambda per row
        if self.leads:
            self.register_buffer("weight_ahead", torch.zeros(self.num_features(ahead=True), config.latent_dim))
            self.register_buffer("penalty_ahead", torch.zeros((), dtype=torch.float64))

    def num_features(self, *, ahead: bool) -> int:
        c = self.config
        shifts = len(self.lags) + (len(self.leads) if ahead else 0)
        return 1 + c.cond_channels * shifts + (c.latent_dim * shifts if c.reads_voice_activity else 0)

    def reads_ahead(self, cond: torch.Tensor) -> bool:
        """Whether ``cond`` holds the speaker's next window (``(N, 3L, C)``) and this prior can read it."""
        return bool(self.leads) and cond.shape[1] == 3 * self.config.window

    def features(self, cond: torch.Tensor) -> torch.Tensor:
        """``(N, 2L, C)`` -> ``(N, L, D)``; ``(N, 3L, C)`` with leads -> ``(N, L, D_ahead)`` (module docstring)."""
        L, F = self.config.window, self.config.latent_dim
        shifts = [*self.lags, *(-lead for lead in self.leads)] if self.reads_ahead(cond) else self.lags
        shifted = [delayed(cond, shift, L) for shift in shifts]  # (N, L, C) each
        parts = [cond.new_ones(cond.shape[0], L, 1), *shifted]
        if self.config.reads_voice_activity:
            long_silence = (cond[:, L:2 * L, F + 1:F + 2] >= LONG_SILENCE_S).to(cond)  # (N, L, 1): silence channel now
            parts += [long_silence * x[..., :F] for x in shifted]
        return torch.cat(parts, dim=-1)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        weight = self.weight_ahead if self.reads_ahead(cond) else self.weight
        return self.features(cond) @ weight.to(cond)  # (N, L, F)

    @torch.no_grad()
    def fit(self, cond: torch.Tensor, x0: torch.Tensor, val_cond: torch.Tensor | None = None,
            val_x0: torch.Tensor | None = None, chunk: int = 4096) -> dict[float, float]:
        """Fit on windows ``cond``, ``x0 (N, L, F)``; returns {penalty: val MSE} (empty without val).

        ``cond (N, 2L, C)`` fits the causal weights, ``(N, 3L, C)`` the look-ahead ones when the prior has
        them (:meth:`reads_ahead`); ``val_cond`` is shaped as ``cond``."""
        xtx = xty = None
        for i in range(0, cond.shape[0], chunk):
            x = self.features(cond[i:i + chunk]).double().flatten(0, 1)  # (n L, D)
            y = x0[i:i + chunk].double().flatten(0, 1)
            xtx = x.T @ x if xtx is None else xtx + x.T @ x
            xty = x.T @ y if xty is None else xty + x.T @ y
        rows = cond.shape[0] * self.config.window
        errors = {}
        ahead = self.reads_ahead(cond)
        choice = PENALTIES[len(PENALTIES) // 2]
        if val_cond is not None:
            for p in PENALTIES:
                self._set(xtx, xty, p * rows, p, ahead)
                errors[p] = float((self(val_cond) - val_x0).square().mean())
            choice = min(errors, key=errors.get)
        self._set(xtx, xty, choice * rows, choice, ahead)
        return errors

    def _set(self, xtx: torch.Tensor, xty: torch.Tensor, ridge: float, penalty: float, ahead: bool) -> None:
        eye = torch.eye(len(xtx), dtype=xtx.dtype)
        eye[0, 0] = 0.0  # the constant is not shrunk
        weight, chosen = (self.weight_ahead, self.penalty_ahead) if ahead else (self.weight, self.penalty)
        weight.copy_(torch.linalg.solve(xtx + ridge * eye, xty).to(weight))
        chosen.fill_(penalty)
