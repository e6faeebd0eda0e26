"""Tiny ReactDiff configs and inputs for the tests (seconds on CPU)."""

from __future__ import annotations

import torch

from react_bench.models.reactdiff import ReactDiffConfig
from react_bench.models.reactdiff.encoder import input_dims

TINY = dict(
    d_model=16, latent_dim=4, window=10, heads=2, encoder_layers=1, decoder_layers=1, unet_channels=16,
    cond_dim=16, cond_lags=(0, 4, 9), train_timesteps=100, inference_steps=5, stage1_epochs=1, stage2_epochs=2,
    batch_size=4, crop_windows=2, stage2_batch_size=64, max_train_seconds=None, dropout=0.1,
)

PLAIN = dict(cond_voice_activity=False, linear_prior=False, prior_look_ahead=False, residual_scale=1.0)
"""The small default's additions switched off: the UNet diffuses the listener latent itself, conditioned on
the speaker latent alone (the tests of the diffusion and the chain; test_linear_prior.py tests the prior)."""


def random_streams(config: ReactDiffConfig, B: int, T: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``{stream: (B, T, D)}`` standard-normal inputs for every stream the config reads."""
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randn(B, T, d, generator=g) for n, d in input_dims(config).items()}


def stream_online(sub, batch, chunk: int, *, num_samples: int, seed: int) -> torch.Tensor:
    """The online track by hand: ``sub.reset`` with a generator seeded ``seed``, then ``sub.step`` on
    consecutive chunks of ``chunk`` frames of ``batch``; the listener emotion ``(B, S, T, 25)``."""
    sub.reset(batch.batch_size, num_samples=num_samples, generator=torch.Generator().manual_seed(seed))
    out = []
    for s in range(0, batch.num_frames, chunk):
        piece = type(batch)(emotion=batch.emotion[:, s:s + chunk], threedmm=batch.threedmm[:, s:s + chunk],
                            audio=batch.audio[:, s * 640:(s + chunk) * 640], indices=batch.indices,
                            features={k: v[:, s:s + chunk] for k, v in batch.features.items()}, start_frame=s)
        out.append(sub.step(piece).emotion)
    return torch.cat(out, dim=2)


def make_batch(config: ReactDiffConfig, B: int, T: int, seed: int = 0):
    """A ``SpeakerBatch`` of random streams (the emotion stream as the batch's emotion)."""
    from react_bench.submissions import SpeakerBatch

    streams = random_streams(config, B, T, seed)
    emotion = streams.pop("emotion") if "emotion" in streams else torch.zeros(B, T, 25)
    return SpeakerBatch(emotion=emotion, threedmm=torch.zeros(B, T, 58), audio=torch.zeros(B, T * 640),
                        indices=torch.arange(B), features=streams)
