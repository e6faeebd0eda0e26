"""The decoder: latent ``(B, T, F)`` -> listener 3DMM ``(B, T, 58)`` and emotion ``(B, T, 25)``.

Transformer layers (window-block attention, causal when configured) over the clip with a
sinusoidal encoding of the frame's position inside its window, then two MLP heads. The emotion
head constrains each group: AU occurrence probabilities by a sigmoid, valence/arousal by tanh,
the 8 expression probabilities by a softmax (each row sums to 1).
"""

from __future__ import annotations

import torch
from torch import nn

from react_bench.constants import AU_SLICE, EMOTION_DIM, FE_SLICE, THREEDMM_DIM, VA_SLICE

from .config import ReactDiffConfig
from .layers import BlockAttention, sinusoidal


class ReactionDecoder(nn.Module):
    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        c = self.config = config
        self.inp = nn.Linear(c.latent_dim, c.d_model)
        self.layers = nn.ModuleList(
            [BlockAttention(c.d_model, c.heads, c.dropout, c.window, c.causal) for _ in range(c.decoder_layers)]
        )
        self.norm = nn.LayerNorm(c.d_model)
        head = lambda out: nn.Sequential(nn.Linear(c.d_model, c.d_model), nn.GELU(), nn.Linear(c.d_model, out))  # noqa: E731
        self.head_3dmm = head(THREEDMM_DIM)
        self.head_emotion = head(EMOTION_DIM)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, F)`` latent -> ``(emotion (B, T, 25), threedmm (B, T, 58))``."""
        B, T, F = z.shape
        pos = sinusoidal(torch.arange(T, device=z.device) % self.config.window, self.config.d_model)
        h = self.inp(z) + pos  # (B, T, d)
        for layer in self.layers:
            h = layer(h)
        h = self.norm(h)
        logits = self.head_emotion(h)  # (B, T, 25)
        emotion = torch.cat([
            torch.sigmoid(logits[..., AU_SLICE]),
            torch.tanh(logits[..., VA_SLICE]),
            torch.softmax(logits[..., FE_SLICE], dim=-1),
        ], dim=-1)
        return emotion, self.head_3dmm(h)  # (B, T, 25), (B, T, 58)
