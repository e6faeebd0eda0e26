"""The noise network: a small 1-D UNet over the frames of a latent window (Diffusion Autoencoders style).

Input ``x_t`` is ``(N, F, L)`` (latent channels x window frames); the condition is the speaker's
latent over the previous and the current window, ``(N, 2L, F)``. Conditioning:

- ``z_bc = GroupNorm(MLP(flatten(speaker window latent)))`` (paper, ``cond_dim``-d) is added to the
  timestep embedding, and every residual block applies it as an adaptive GroupNorm scale/shift;
- deviation: the speaker latent delayed by each of ``cond_lags`` frames is also concatenated frame
  by frame to the input channels, so the network sees *when* the speaker did something, including
  late in the previous window (the lagged following that drives appropriateness); a flattened
  global vector alone loses that alignment at this size (``cond_lags = ()``: the paper's z_bc alone);
- deviation (``cond_voice_activity``): the condition's frames carry the speaker's voice activity
  (talk, current silence) after its latent, ``C = F + 2`` channels instead of F;
- deviation (``window_chain``): the *listener's* previous window, as ``chain (N, F + 1)`` = its last
  latent frame and a 1 (zeros and a 0 where there is none: the clip's first window, or chain dropout
  in training), is broadcast over the frames and concatenated to the input, so that window w starts
  where window w - 1 of the same generation ended (:func:`chain_input`).

Frame-causal variant (``config.unet_causal``, the small preset; what the online track needs): output
frame j depends on ``x_t`` and condition frames <= j only. Convolutions are left-padded (causal),
the GroupNorms normalise each frame over its channels instead of over (channels, frames), the
down-sampling is a causal stride-2 convolution and the up-sampling a nearest-neighbour repeat
followed by a causal convolution, and ``z_bc`` is computed from the speaker's *previous* window
(the authors' "condition window w on the speaker up to the start of w"); the current window enters
only through the frame-aligned lagged condition. With ``unet_causal=False`` (the paper preset) the
network is the paper's: every frame of the window reads the whole current speaker window, which is
why that variant is refused online.
"""

from __future__ import annotations

import torch
from torch import nn

from react_bench.errors import BadInputError

from .config import ReactDiffConfig
from .layers import sinusoidal


def _groups(ch: int) -> int:
    return next(g for g in (8, 4, 2, 1) if ch % g == 0)


class CausalConv1d(nn.Conv1d):
    """``Conv1d`` padded on the left only: output frame i reads input frames <= i * stride.

    With stride 2 and kernel 3 output i reads inputs 2i - 2 .. 2i, and there are ceil(L / 2) outputs.
    """

    def __init__(self, ch_in: int, ch_out: int, kernel: int, *, stride: int = 1) -> None:
        super().__init__(ch_in, ch_out, kernel, stride=stride)
        self.left = kernel - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, (self.left, 0)))  # (N, C_out, ceil(L / stride))


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm over the channel groups of each frame on its own: no statistic spans frames.

    ``nn.GroupNorm`` on ``(N, C, L)`` pools each group over all L frames, so every frame's output
    reads the later frames' values; this one is frame-causal. Same parameters (and state-dict keys).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, C, L = x.shape
        y = super().forward(x.transpose(1, 2).reshape(N * L, C))  # (N L, C)
        return y.reshape(N, L, C).transpose(1, 2)  # (N, C, L)


def _conv(ch_in: int, ch_out: int, causal: bool) -> nn.Conv1d:
    """Kernel-3 convolution that keeps the length: centred (paper) or causal."""
    return CausalConv1d(ch_in, ch_out, 3) if causal else nn.Conv1d(ch_in, ch_out, 3, padding=1)


def _norm(ch: int, causal: bool) -> nn.GroupNorm:
    return FrameGroupNorm(_groups(ch), ch) if causal else nn.GroupNorm(_groups(ch), ch)


class CausalUpsample(nn.Module):
    """``(N, C_in, ceil(L/2))`` -> ``(N, C_out, L)``: repeat each frame twice, then a causal conv.

    Up-sampled frame j copies coarse frame j // 2, which (after :class:`CausalConv1d` with stride 2)
    reads fine frames <= 2 (j // 2) <= j; ``ConvTranspose1d`` would mix in coarse frame j // 2 + 1.
    """

    def __init__(self, ch_in: int, ch_out: int) -> None:
        super().__init__()
        self.conv = CausalConv1d(ch_in, ch_out, 3)

    def forward(self, x: torch.Tensor, length: int) -> torch.Tensor:
        return self.conv(x.repeat_interleave(2, dim=-1)[..., :length])  # (N, C_out, L)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, then AdaGN ``(1 + scale) * GN(h) + shift`` from the embedding."""

    def __init__(self, ch_in: int, ch_out: int, emb_dim: int, dropout: float, causal: bool = False) -> None:
        super().__init__()
        self.norm1, self.conv1 = _norm(ch_in, causal), _conv(ch_in, ch_out, causal)
        self.emb = nn.Linear(emb_dim, 2 * ch_out)
        self.norm2, self.conv2 = _norm(ch_out, causal), _conv(ch_out, ch_out, causal)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(ch_in, ch_out, 1) if ch_in != ch_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))  # (N, C, L)
        scale, shift = self.emb(emb)[..., None].chunk(2, dim=1)  # (N, C, 1) each
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.drop(nn.functional.silu(h)))
        return self.skip(x) + h


class UNet1D(nn.Module):
    """``eps(x_t (N, F, L), t (N,), cond (N, 2L, C), chain (N, F + 1) | None)`` -> ``(N, F, L)``; C = ``config.cond_channels``."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        c = self.config = config
        ch, F, L = c.unet_channels, c.latent_dim, c.window
        if not all(0 <= lag <= L for lag in c.cond_lags):
            raise BadInputError(f"cond_lags must be frame lags in [0, window={L}] (or empty); got {c.cond_lags}")
        self.time_mlp = nn.Sequential(nn.Linear(ch, c.cond_dim), nn.SiLU(), nn.Linear(c.cond_dim, c.cond_dim))
        # z_bc = GroupNorm(MLP(flatten(speaker window latent))) (paper Sec. 3.3)
        C = c.cond_channels  # the speaker latent F (+ its voice activity)
        self.cond_mlp = nn.Sequential(nn.Linear(L * C, c.cond_dim), nn.SiLU(), nn.Linear(c.cond_dim, c.cond_dim))
        self.cond_norm = nn.GroupNorm(_groups(c.cond_dim), c.cond_dim)  # over z_bc's channels: no time axis
        causal = c.unet_causal
        self.inp = _conv(F + C * len(c.cond_lags) + (F + 1 if c.window_chain else 0), ch, causal)
        self.down1 = ResBlock(ch, ch, c.cond_dim, c.dropout, causal)
        self.down = CausalConv1d(ch, 2 * ch, 3, stride=2) if causal else nn.Conv1d(ch, 2 * ch, 3, stride=2, padding=1)
        self.mid1 = ResBlock(2 * ch, 2 * ch, c.cond_dim, c.dropout, causal)
        self.mid2 = ResBlock(2 * ch, 2 * ch, c.cond_dim, c.dropout, causal)
        self.up = CausalUpsample(2 * ch, ch) if causal else nn.ConvTranspose1d(2 * ch, ch, 4, stride=2, padding=1)
        self.up1 = ResBlock(2 * ch, ch, c.cond_dim, c.dropout, causal)
        self.out = nn.Sequential(_norm(ch, causal), nn.SiLU(), _conv(ch, F, causal))

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor,
                chain: torch.Tensor | None = None) -> torch.Tensor:
        N, F, L = x.shape
        # z_bc reads a whole window: the current one in the paper's UNet, the previous one (all before
        # this window's first frame) in the causal UNet.
        z_window = cond[:, :L] if self.config.unet_causal else cond[:, L:2 * L]  # (N, L, C)
        z_bc = self.cond_norm(self.cond_mlp(z_window.reshape(N, -1)))  # (N, cond_dim)
        emb = self.time_mlp(sinusoidal(t, self.config.unet_channels)) + z_bc  # (N, cond_dim)
        lagged = [delayed(cond, lag, L).transpose(1, 2) for lag in self.config.cond_lags]  # (N, C, L) each
        extra = []
        if self.config.window_chain:  # the previous listener window's last frame (+ flag), on every frame
            chain = x.new_zeros(N, F + 1) if chain is None else chain
            extra.append(chain[..., None].expand(N, F + 1, L))  # (N, F + 1, L)
        h0 = self.inp(torch.cat([x, *lagged, *extra], dim=1))  # (N, ch, L)
        h1 = self.down1(h0, emb)  # (N, ch, L)
        h = self.down(h1)  # (N, 2ch, ceil(L/2))
        h = self.mid2(self.mid1(h, emb), emb)
        h = self.up(h, L) if self.config.unet_causal else self.up(h)[..., :L]  # (N, ch, L)
        h = self.up1(torch.cat([h, h1], dim=1), emb)  # (N, ch, L)
        return self.out(h)  # (N, F, L)


def delayed(cond: torch.Tensor, lag: int, window: int) -> torch.Tensor:
    """Condition window ``(N, 2L, C)`` (the speaker's previous and current window of ``window`` = L frames;
    ``(N, 3L, C)`` with the next window too) -> ``(N, L, C)``: for each frame j of the current window, the
    condition at frame j - ``lag``; -L <= lag <= L, a negative lag (a lead) only with the next window."""
    return cond[:, window - lag: 2 * window - lag]


def chain_input(previous: torch.Tensor) -> torch.Tensor:
    """The UNet's ``chain`` from the previous listener window ``(N, L, F)`` (normalised latent):
    ``(N, F + 1)`` = its last frame and a 1 (the UNet reads ``chain=None`` as zeros: no previous window).

    Only the last frame is passed on: what a smooth join needs, and it keeps the online state small.
    """
    return torch.cat([previous[:, -1], previous.new_ones(previous.shape[0], 1)], dim=1)  # (N, F + 1)
