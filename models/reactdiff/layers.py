"""Window-block attention: each frame attends to its own window and the previous one.

Sequences ``(B, T, C)`` with ``T = W * L`` are cut into W windows of L frames; queries of window w
see keys of windows w-1 and w (the first window sees zeros before it). With ``causal=True`` frame t
sees no key after t, so stacking these layers keeps every output frame a function of frames <= t:
the property the online track needs, and what lets one network serve both tracks.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def to_windows(x: torch.Tensor, window: int) -> torch.Tensor:
    """``(B, T, C)`` -> ``(B, W, L, C)``; T must be a multiple of ``window``."""
    B, T, C = x.shape
    return x.reshape(B, T // window, window, C)


def with_previous(x: torch.Tensor) -> torch.Tensor:
    """``(B, W, L, C)`` -> ``(B, W, 2L, C)``: each window preceded by the previous one (zeros for w=0)."""
    prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
    return torch.cat([prev, x], dim=2)


def block_mask(window: int, streams: int, causal: bool, device) -> torch.Tensor | None:
    """``(L, streams * 2L)`` bool mask, True = blocked: frame i may not see current-window frames j > i."""
    if not causal:
        return None
    i = torch.arange(window, device=device)[:, None]
    j = torch.arange(2 * window, device=device)[None, :]
    one = (j >= window) & (j - window > i)  # (L, 2L)
    return one.repeat(1, streams)


def sinusoidal(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """``(...,)`` positions -> ``(..., dim)`` sinusoidal encoding (Vaswani et al. 2017)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / max(half, 1))
    angles = positions.float()[..., None] * freqs
    out = torch.cat([angles.sin(), angles.cos()], dim=-1)
    return nn.functional.pad(out, (0, dim - 2 * half))


class BlockAttention(nn.Module):
    """Pre-norm (cross-)attention + MLP over window blocks: ``(B, T, C)`` queries, list of ``(B, T, C)`` key streams."""

    def __init__(self, d_model: int, heads: int, dropout: float, window: int, causal: bool) -> None:
        super().__init__()
        self.window, self.causal = window, causal
        self.norm_q, self.norm_kv, self.norm_ff = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d_model, d_model))

    def forward(self, x: torch.Tensor, keys: list[torch.Tensor] | None = None) -> torch.Tensor:
        B, T, C = x.shape
        L = self.window
        keys = [x] if keys is None else keys
        q = to_windows(self.norm_q(x), L).reshape(-1, L, C)  # (B*W, L, C)
        kv = torch.cat([with_previous(to_windows(self.norm_kv(k), L)) for k in keys], dim=2)  # (B, W, S*2L, C)
        kv = kv.reshape(q.shape[0], -1, C)  # (B*W, S*2L, C)
        mask = block_mask(L, len(keys), self.causal, x.device)
        out, _ = self.attn(q, kv, kv, attn_mask=mask, need_weights=False)  # (B*W, L, C)
        x = x + out.reshape(B, T, C)
        return x + self.ff(self.norm_ff(x))
