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

LONG_SILENCE_S = 0.8
"""Seconds of speaker silence from which the prior reads the floor as the listener's."""

PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
"""Ridge penalties tried on val, per training row (lambda n)."""


class LinearPrior(nn.Module):
    """``cond (N, 2L, C)`` -> prior mean ``(N, L, F)`` of the normalised listener latent; weights are a buffer."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        self.config = config
        self.lags = tuple(lag for lag in PRIOR_LAGS if lag < config.window)
        self.register_buffer("weight", torch.zeros(self.num_features, config.latent_dim))
        self.register_buffer("penalty", torch.zeros((), dtype=torch.float64))  # the chosen lambda per row

    @property
    def num_features(self) -> int:
        c = self.config
        return 1 + c.cond_channels * len(self.lags) + (c.latent_dim * len(self.lags) if c.reads_voice_activity else 0)

    def features(self, cond: torch.Tensor) -> torch.Tensor:
        """``(N, 2L, C)`` -> ``(N, L, D)`` (module docstring)."""
        L, F = self.config.window, self.config.latent_dim
        lagged = [delayed(cond, lag) for lag in self.lags]  # (N, L, C) each
        parts = [cond.new_ones(cond.shape[0], L, 1), *lagged]
        if self.config.reads_voice_activity:
            long_silence = (cond[:, L:, F + 1:F + 2] >= LONG_SILENCE_S).to(cond)  # (N, L, 1): silence channel now
            parts += [long_silence * x[..., :F] for x in lagged]
        return torch.cat(parts, dim=-1)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return self.features(cond) @ self.weight.to(cond)  # (N, L, F)

    @torch.no_grad()
    def fit(self, cond: torch.Tensor, x0: torch.Tensor, val_cond: torch.Tensor | None = None,
            val_x0: torch.Tensor | None = None, chunk: int = 4096) -> dict[float, float]:
        """Fit on windows ``cond (N, 2L, C)``, ``x0 (N, L, F)``; returns {penalty: val MSE} (empty without val)."""
        xtx = xty = None
        for i in range(0, cond.shape[0], chunk):
            x = self.features(cond[i:i + chunk]).double().flatten(0, 1)  # (n L, D)
            y = x0[i:i + chunk].double().flatten(0, 1)
            xtx = x.T @ x if xtx is None else xtx + x.T @ x
            xty = x.T @ y if xty is None else xty + x.T @ y
        rows = cond.shape[0] * self.config.window
        errors = {}
        choice = PENALTIES[len(PENALTIES) // 2]
        if val_cond is not None:
            for p in PENALTIES:
                self._set(xtx, xty, p * rows, p)
                errors[p] = float((self(val_cond) - val_x0).square().mean())
            choice = min(errors, key=errors.get)
        self._set(xtx, xty, choice * rows, choice)
        return errors

    def _set(self, xtx: torch.Tensor, xty: torch.Tensor, ridge: float, penalty: float) -> None:
        eye = torch.eye(len(xtx), dtype=xtx.dtype)
        eye[0, 0] = 0.0  # the constant is not shrunk
        self.weight.copy_(torch.linalg.solve(xtx + ridge * eye, xty).to(self.weight))
        self.penalty.fill_(penalty)
