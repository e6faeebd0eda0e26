"""The noise network: a small 1-D UNet over the frames of a latent window (Diffusion Autoencoders style).

Input ``x_t`` is ``(N, F, L)`` (latent channels x window frames); the condition is the speaker's
latent over the previous and the current window, ``(N, 2L, F)``. Conditioning:

- ``z_bc = GroupNorm(MLP(flatten(speaker window latent)))`` (paper, ``cond_dim``-d, the current
  window) is added to the timestep embedding, and every residual block applies it as an adaptive
  GroupNorm scale/shift;
- deviation: the speaker latent delayed by each of ``cond_lags`` frames is also concatenated frame
  by frame to the input channels, so the network sees *when* the speaker did something, including
  late in the previous window (the lagged following that drives appropriateness); a flattened
  global vector alone loses that alignment at this size.
"""

from __future__ import annotations

import torch
from torch import nn

from react_bench.errors import BadInputError

from .config import ReactDiffConfig
from .layers import sinusoidal


def _groups(ch: int) -> int:
    return next(g for g in (8, 4, 2, 1) if ch % g == 0)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, then AdaGN ``(1 + scale) * GN(h) + shift`` from the embedding."""

    def __init__(self, ch_in: int, ch_out: int, emb_dim: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(_groups(ch_in), ch_in), nn.Conv1d(ch_in, ch_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * ch_out)
        self.norm2, self.conv2 = nn.GroupNorm(_groups(ch_out), ch_out), nn.Conv1d(ch_out, ch_out, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(ch_in, ch_out, 1) if ch_in != ch_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))  # (N, C, L)
        scale, shift = self.emb(emb)[..., None].chunk(2, dim=1)  # (N, C, 1) each
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.drop(nn.functional.silu(h)))
        return self.skip(x) + h


class UNet1D(nn.Module):
    """``eps(x_t (N, F, L), t (N,), cond (N, 2L, F))`` -> ``(N, F, L)``."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        c = self.config = config
        ch, F, L = c.unet_channels, c.latent_dim, c.window
        if not c.cond_lags or not all(0 <= lag <= L for lag in c.cond_lags):
            raise BadInputError(f"cond_lags must be a non-empty list of frame lags in [0, window={L}]; got {c.cond_lags}")
        self.time_mlp = nn.Sequential(nn.Linear(ch, c.cond_dim), nn.SiLU(), nn.Linear(c.cond_dim, c.cond_dim))
        # z_bc = GroupNorm(MLP(flatten(speaker window latent))) (paper Sec. 3.3)
        self.cond_mlp = nn.Sequential(nn.Linear(L * F, c.cond_dim), nn.SiLU(), nn.Linear(c.cond_dim, c.cond_dim))
        self.cond_norm = nn.GroupNorm(_groups(c.cond_dim), c.cond_dim)
        self.inp = nn.Conv1d(F * (1 + len(c.cond_lags)), ch, 3, padding=1)
        self.down1 = ResBlock(ch, ch, c.cond_dim, c.dropout)
        self.down = nn.Conv1d(ch, 2 * ch, 3, stride=2, padding=1)
        self.mid1 = ResBlock(2 * ch, 2 * ch, c.cond_dim, c.dropout)
        self.mid2 = ResBlock(2 * ch, 2 * ch, c.cond_dim, c.dropout)
        self.up = nn.ConvTranspose1d(2 * ch, ch, 4, stride=2, padding=1)
        self.up1 = ResBlock(2 * ch, ch, c.cond_dim, c.dropout)
        self.out = nn.Sequential(nn.GroupNorm(_groups(ch), ch), nn.SiLU(), nn.Conv1d(ch, F, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        N, F, L = x.shape
        z_bc = self.cond_norm(self.cond_mlp(cond[:, L:].reshape(N, -1)))  # (N, cond_dim), current window
        emb = self.time_mlp(sinusoidal(t, self.config.unet_channels)) + z_bc  # (N, cond_dim)
        lagged = [cond[:, L - lag: 2 * L - lag].transpose(1, 2) for lag in self.config.cond_lags]  # (N, F, L) each
        h0 = self.inp(torch.cat([x, *lagged], dim=1))  # (N, ch, L)
        h1 = self.down1(h0, emb)  # (N, ch, L)
        h = self.down(h1)  # (N, 2ch, ceil(L/2))
        h = self.mid2(self.mid1(h, emb), emb)
        h = self.up(h)[..., :L]  # (N, ch, L)
        h = self.up1(torch.cat([h, h1], dim=1), emb)  # (N, ch, L)
        return self.out(h)  # (N, F, L)
