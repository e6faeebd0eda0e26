"""The Multi-Modality Transformer (MMT): per-frame features of one person -> latent ``(B, T, F)``.

Following the paper (Sec. 3.2): intra-cross attention within the facial streams (AU queries attend
to FE and VA) gives f_v; within the acoustic streams (wav2vec2, or MFCC when there is none, queries
attend to MFCC) gives f_a; inter-cross attention between f_v and f_a fuses them; a projection maps
to the latent F per frame, later cut into windows of ``ws`` frames. All attention is window-block
attention (see :mod:`.layers`), frame-causal when ``config.causal``.

:class:`FeatureProjection` is the ``reactdiff-nommt`` ablation (``use_mmt=False``): the same inputs,
standardised the same way, concatenated per frame and mapped to the latent by one linear layer (the
paper's "w/o MMT": no intra- or inter-modal attention, the latent space and what follows unchanged).
"""

from __future__ import annotations

import torch
from torch import nn

from react_bench.constants import EMOTION_DIM
from react_bench.errors import BadInputError

from .config import VOICE_ACTIVITY, ReactDiffConfig
from .layers import BlockAttention

SPEAKER_EMOTION = "emotion"
"""Stream name of the person's own 25-d emotion (not an extractor: it is in the batch)."""


def stream_dims(config: ReactDiffConfig) -> dict[str, int]:
    """Stream name -> input dim, in the order the encoder reads them."""
    dims: dict[str, int] = {}
    if config.use_visual:
        dims[config.au_feature[0]] = config.au_feature[1]
        dims.update(dict(config.face_features))
        if config.speaker_emotion:
            dims[SPEAKER_EMOTION] = EMOTION_DIM
    if config.use_audio:
        dims[config.mfcc_feature[0]] = config.mfcc_feature[1]
        if config.wav2vec2_feature:
            dims[config.wav2vec2_feature[0]] = config.wav2vec2_feature[1]
    if not dims:
        raise BadInputError("ReactDiffConfig needs use_visual or use_audio (or both); got neither")
    return dims


def input_dims(config: ReactDiffConfig) -> dict[str, int]:
    """Every per-frame stream the model reads -> its dim: the encoder's (:func:`stream_dims`), then the
    speaker's voice activity that joins the UNet's condition past the encoder (``cond_voice_activity``)."""
    dims = stream_dims(config)
    if config.reads_voice_activity:
        dims[VOICE_ACTIVITY[0]] = VOICE_ACTIVITY[1]
    return dims


def check_stream_dim(config: ReactDiffConfig, name: str, dim: int) -> None:
    """Raise when feature ``name`` has ``dim`` channels but the config expects another size (at the edge,
    where the extractor's output first meets the model: the wav2vec2 width depends on the saved model)."""
    expected = input_dims(config)[name]
    if dim != expected:
        field = next((f for f in ("au_feature", "mfcc_feature", "wav2vec2_feature") if getattr(config, f)
                      and getattr(config, f)[0] == name), "face_features")
        raise BadInputError(
            f"feature {name!r} has {dim} channels but the ReactDiff config expects {expected}; set {field} to match "
            f"(e.g. --set {field}='[\"{name}\", {dim}]'{' inside the list' if field == 'face_features' else ''})"
        )


class _StandardisedInputs(nn.Module):
    """Per-stream input statistics as buffers (set by :meth:`set_input_stats`) and the check of the streams."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__()
        self.config = config
        self.dims = stream_dims(config)
        for n, d in self.dims.items():
            self.register_buffer(f"mean_{_key(n)}", torch.zeros(d))
            self.register_buffer(f"std_{_key(n)}", torch.ones(d))

    def set_input_stats(self, stats: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Store per-stream ``(mean (D,), std (D,))`` of the training inputs."""
        for n, (mean, std) in stats.items():
            getattr(self, f"mean_{_key(n)}").copy_(mean)
            getattr(self, f"std_{_key(n)}").copy_(std.clamp_min(1e-4))

    def _standardise(self, name: str, x: torch.Tensor) -> torch.Tensor:
        k = _key(name)
        return (x - getattr(self, f"mean_{k}")) / getattr(self, f"std_{k}")  # (B, T, D)

    def _check(self, streams: dict[str, torch.Tensor]) -> None:
        missing = sorted(set(self.dims) - set(streams))
        if missing:
            raise BadInputError(f"encoder input lacks streams {missing}; expected {sorted(self.dims)}")


class FeatureProjection(_StandardisedInputs):
    """``reactdiff-nommt``: ``{stream: (B, T, D)}`` -> ``(B, T, latent_dim)`` by one linear map of the
    concatenated standardised features, frame by frame (frame-causal by construction)."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__(config)
        self.proj = nn.Linear(sum(self.dims.values()), config.latent_dim)

    def forward(self, streams: dict[str, torch.Tensor]) -> torch.Tensor:
        self._check(streams)
        x = torch.cat([self._standardise(n, streams[n]) for n in self.dims], dim=-1)  # (B, T, sum D)
        return self.proj(x)  # (B, T, F)


class MultiModalityTransformer(_StandardisedInputs):
    """``{stream: (B, T, D)}`` -> ``(B, T, latent_dim)``; input statistics are buffers set by :meth:`set_input_stats`."""

    def __init__(self, config: ReactDiffConfig) -> None:
        super().__init__(config)
        c = config
        self.proj = nn.ModuleDict({_key(n): nn.Linear(d, c.d_model) for n, d in self.dims.items()})
        block = lambda: BlockAttention(c.d_model, c.heads, c.dropout, c.window, c.causal)  # noqa: E731
        self.visual_intra = block() if c.use_visual else None
        self.audio_intra = block() if c.use_audio else None
        self.inter_v = block() if c.use_visual and c.use_audio else None
        self.inter_a = block() if c.use_visual and c.use_audio else None
        self.layers = nn.ModuleList([block() for _ in range(c.encoder_layers)])
        self.out = nn.Sequential(nn.LayerNorm(c.d_model), nn.Linear(c.d_model, c.latent_dim))

    def forward(self, streams: dict[str, torch.Tensor]) -> torch.Tensor:
        self._check(streams)
        c = self.config
        h = {n: self.proj[_key(n)](self._standardise(n, streams[n])) for n in self.dims}  # each (B, T, d)
        fused = None
        if c.use_visual:
            au = c.au_feature[0]
            query = h[au] + (h[SPEAKER_EMOTION] if c.speaker_emotion else 0)
            keys = [h[n] for n, _ in c.face_features] + ([h[SPEAKER_EMOTION]] if c.speaker_emotion else [])
            f_v = self.visual_intra(query, keys)  # (B, T, d): AU attends to FE, VA (+ emotion)
            fused = f_v
        if c.use_audio:
            mfcc = c.mfcc_feature[0]
            query = h[c.wav2vec2_feature[0]] if c.wav2vec2_feature else h[mfcc]
            f_a = self.audio_intra(query, [h[mfcc]])  # (B, T, d): wav2vec2 attends to MFCC
            fused = f_a
        if c.use_visual and c.use_audio:
            fused = self.inter_v(f_v, [f_a]) + self.inter_a(f_a, [f_v])  # inter-cross attention both ways
        for layer in self.layers:
            fused = layer(fused)
        return self.out(fused)  # (B, T, F)


def make_encoder(config: ReactDiffConfig) -> nn.Module:
    """The MMT, or the per-frame projection of the ``reactdiff-nommt`` ablation (``use_mmt=False``)."""
    return MultiModalityTransformer(config) if config.use_mmt else FeatureProjection(config)


def _key(name: str) -> str:
    return name.replace(".", "_")
