"""Training of :class:`ReactDiff`: stage 1 (MMT + decoder autoencoder), stage 2 (latent diffusion).

AdamW (betas 0.9/0.999, weight decay 5e-4), an EMA of the weights (used for validation and kept
for sampling), model selection on the validation split only: after each epoch the EMA snapshot
with the lowest validation loss is kept (validation noise is drawn from a fixed generator, so
losses of different epochs are comparable).
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from react_bench.errors import BadInputError

from .encoder import SPEAKER_EMOTION, stream_dims
from .model import ReactDiff, condition_windows

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


def load_streams(ds: "ReactDataset", role: str, model: ReactDiff) -> dict[str, torch.Tensor]:
    """``{stream: (N, T, D)}`` float32 tensors of ``role`` for every stream the model reads."""
    out = {}
    specs = {spec.name: spec for spec in model.config.feature_specs}
    for name in stream_dims(model.config):
        array = ds.emotion(role) if name == SPEAKER_EMOTION else ds.features(specs[name], role)
        out[name] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return out


def _targets(ds: "ReactDataset") -> tuple[torch.Tensor, torch.Tensor]:
    emotion = torch.from_numpy(np.ascontiguousarray(ds.emotion("listener"), dtype=np.float32))  # (N, T, 25)
    threedmm = torch.from_numpy(np.ascontiguousarray(ds.threedmm("listener"), dtype=np.float32))  # (N, T, 58)
    return emotion, threedmm


def _usable_frames(T: int, window: int) -> int:
    if T < window:
        raise BadInputError(f"clips must hold at least one window of {window} frames; got {T} frames")
    return T - T % window


class EMA:
    """Exponential moving average of a module's floating-point state (parameters and buffers).

    The decay warms up as ``min(decay, (1 + n) / (10 + n))`` after n updates (as TensorFlow's
    ExponentialMovingAverage with ``num_updates``), so a short CPU run is not dominated by the init.
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(module).eval()
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for ema, cur in zip(self.module.state_dict().values(), module.state_dict().values()):
            if ema.dtype.is_floating_point:
                ema.lerp_(cur, 1 - decay)
            else:
                ema.copy_(cur)


def reconstruction_loss(model: ReactDiff, streams, emotion, threedmm) -> torch.Tensor:
    """Stage 1 loss (paper): ``10 * MSE(3DMM) + 10 * L1(emotion)``."""
    pred_emotion, pred_3dmm = model.decoder(model.encoder(streams))
    return 10 * nn.functional.mse_loss(pred_3dmm, threedmm) + 10 * (pred_emotion - emotion).abs().mean()


def fit(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
        device: torch.device | str = "cpu", log=print) -> ReactDiff:
    """Train both stages in place; returns the EMA model (selected on ``val``) to sample with."""
    start = time.perf_counter()
    budget = model.config.max_train_seconds
    fit_autoencoder(model, train, val, seed=seed, device=device, log=log,
                    max_seconds=None if budget is None else 0.4 * budget)
    fit_diffusion(model, train, val, seed=seed, device=device, log=log,
                  max_seconds=None if budget is None else budget - (time.perf_counter() - start))
    log(f"trained in {time.perf_counter() - start:.0f} s")
    return model.eval()


def fit_autoencoder(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
                    device: torch.device | str = "cpu", log=print, max_seconds: float | None = None) -> None:
    """Stage 1: MMT + decoder reconstruct the listener's own reaction; sets the input and latent statistics."""
    c = model.config
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    L = c.window
    start = time.perf_counter()
    streams = load_streams(train, "listener", model)
    emotion, threedmm = _targets(train)
    T = _usable_frames(emotion.shape[1], L)
    model.encoder.set_input_stats({n: (x.reshape(-1, x.shape[-1]).mean(0), x.reshape(-1, x.shape[-1]).std(0))
                                   for n, x in streams.items()})
    val_data = (load_streams(val, "listener", model), *_targets(val)) if val is not None else None
    model.to(device)

    params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    opt = torch.optim.AdamW(params, lr=c.lr, betas=(0.9, 0.999), weight_decay=c.weight_decay)
    ema = EMA(model, c.ema_decay)
    best, best_state = float("inf"), None
    N = emotion.shape[0]
    crop = min(c.crop_windows * L, T)
    for epoch in range(c.stage1_epochs):
        model.train()
        for idx in torch.randperm(N, generator=gen).split(c.batch_size):
            s = int(torch.randint(0, T // L - crop // L + 1, (1,), generator=gen)) * L
            batch = {n: x[idx, s:s + crop].to(device) for n, x in streams.items()}
            loss = reconstruction_loss(model, batch, emotion[idx, s:s + crop].to(device), threedmm[idx, s:s + crop].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            ema.update(model)
        score = _val_stage1(ema.module, val_data, T, device) if val_data else float(loss)
        if score < best:
            best, best_state = score, copy.deepcopy(ema.module.state_dict())
        log(f"stage 1 epoch {epoch + 1}: train {loss.item():.4f} val {score:.4f}")
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    model.load_state_dict(best_state)

    # latent statistics of the frozen MMT over the training listeners
    model.eval()
    z = _encode_raw(model, streams, T, device)  # (N, T, F)
    model.latent_mean.copy_(z.reshape(-1, z.shape[-1]).mean(0))
    model.latent_std.copy_(z.reshape(-1, z.shape[-1]).std(0).clamp_min(1e-5))


def fit_diffusion(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
                  device: torch.device | str = "cpu", log=print, max_seconds: float | None = None) -> None:
    """Stage 2 (MMT and decoder frozen): the UNet learns eps on listener latents given speaker latents.

    With ``cond_drop_prob > 0`` a random share of the windows sees the null condition (zeros: the
    mean latent), so the same network also predicts unconditional eps (classifier-free guidance).
    """
    c = model.config
    torch.manual_seed(seed + 1)
    gen = torch.Generator().manual_seed(seed + 1)
    L = c.window
    start = time.perf_counter()
    model.to(device).eval()
    T = _usable_frames(train.emotion("listener").shape[1], L)
    x0 = model.normalize(_encode_raw(model, load_streams(train, "listener", model), T, device)).reshape(-1, L, c.latent_dim)
    cond = _condition(model, load_streams(train, "speaker", model), T, device)
    if val is not None:
        vx0 = model.normalize(_encode_raw(model, load_streams(val, "listener", model), T, device)).reshape(-1, L, c.latent_dim)
        vcond = _condition(model, load_streams(val, "speaker", model), T, device)

    for p in list(model.encoder.parameters()) + list(model.decoder.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.unet.parameters(), lr=c.lr, betas=(0.9, 0.999), weight_decay=c.weight_decay)
    ema = EMA(model, c.ema_decay)
    best, best_state = float("inf"), copy.deepcopy(model.state_dict())
    for epoch in range(c.stage2_epochs):
        model.unet.train()
        for idx in torch.randperm(x0.shape[0], generator=gen).split(c.stage2_batch_size):
            batch_cond = cond[idx]
            if c.cond_drop_prob > 0:
                keep = torch.rand(len(idx), generator=gen) >= c.cond_drop_prob
                batch_cond = batch_cond * keep[:, None, None]
            loss = model.diffusion_loss(x0[idx], batch_cond, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.unet.parameters(), 1.0)
            opt.step()
            ema.update(model)
        last = epoch + 1 == c.stage2_epochs or (max_seconds is not None and time.perf_counter() - start > max_seconds)
        if val is not None and (epoch % 5 == 4 or last):
            with torch.no_grad():
                score = float(ema.module.diffusion_loss(vx0, vcond, torch.Generator().manual_seed(1234)))
            if score < best:
                best, best_state = score, copy.deepcopy(ema.module.state_dict())
            log(f"stage 2 epoch {epoch + 1}: train {loss.item():.4f} val {score:.4f}")
        elif val is None:
            best_state = copy.deepcopy(ema.module.state_dict())
        if last:
            break
    model.load_state_dict(best_state)
    model.eval()


@torch.no_grad()
def _encode_raw(model: ReactDiff, streams, T: int, device, chunk: int = 32) -> torch.Tensor:
    N = next(iter(streams.values())).shape[0]
    out = [model.encoder({n: x[i:i + chunk, :T].to(device) for n, x in streams.items()}).cpu() for i in range(0, N, chunk)]
    return torch.cat(out)


@torch.no_grad()
def _condition(model: ReactDiff, speaker_streams, T: int, device) -> torch.Tensor:
    """Speaker streams -> condition windows ``(N * W, 2L, F)``, in the order of the listener windows."""
    L = model.config.window
    cond = condition_windows(model.normalize(_encode_raw(model, speaker_streams, T, device)), L)
    return cond.reshape(-1, 2 * L, model.config.latent_dim)


@torch.no_grad()
def _val_stage1(model: ReactDiff, val_data, T: int, device) -> float:
    streams, emotion, threedmm = val_data
    streams = {n: x[:, :T].to(device) for n, x in streams.items()}
    return float(reconstruction_loss(model, streams, emotion[:, :T].to(device), threedmm[:, :T].to(device)))
