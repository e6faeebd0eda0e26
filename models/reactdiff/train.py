"""Training of :class:`ReactDiff`: stage 1 (MMT + decoder autoencoder), stage 2 (latent diffusion).

AdamW (betas 0.9/0.999, weight decay 5e-4), an EMA of the weights (used for validation and kept
for sampling), model selection on the validation split only: every :data:`VALIDATE_EVERY` epochs and
after the last one, the EMA snapshot with the lowest validation loss is kept (validation noise is
drawn from a fixed generator, so losses of different epochs are comparable).

Data parallel (``distributed=True`` inside a torchrun process group, :mod:`react_bench.distributed`):
every rank holds the whole training set and draws the same permutation, crops, timesteps and noise
from the same seeded generator; each step's global batch (the single-process batch size) is split
``idx[rank::world]``, and DistributedDataParallel averages the gradients, with each rank's loss
scaled by ``len(local) * world / len(idx)`` so that the average is the single-process gradient even
for a ragged last batch. Gradient clipping, AdamW, the EMA and the epoch decisions (the time cap, the
best validation snapshot) then come out identical on every rank.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from react_bench import distributed as pg
from react_bench.errors import BadInputError

from .encoder import SPEAKER_EMOTION, check_stream_dim, input_dims, stream_dims
from .model import ReactDiff, condition_windows
from .unet import chain_input

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


VALIDATE_EVERY = 5
"""Both stages score the EMA on val after every 5th epoch and after the last. Stage 1's val pass over the
whole clips takes about as long as the epoch's training steps (2.6 s against 3.1 s on 2 cores), and its
loss falls to the last epoch (measured: seed 0, 40 epochs), so scoring every epoch mostly costs time
(~90 s of a default fit)."""

_DROPOUT_SEED_STRIDE = 1_000_003
"""Rank r seeds its dropout RNG with ``seed + r * stride`` (a prime, so ranks' seeds do not collide with
the nearby seeds of other fits)."""


def load_streams(ds: "ReactDataset", role: str, model: ReactDiff) -> dict[str, torch.Tensor]:
    """``{stream: (N, T, D)}`` float32 tensors of ``role`` for every stream the model reads of that role:
    the encoder's for the listener, and for the speaker also what joins the UNet's condition."""
    out = {}
    specs = {spec.name: spec for spec in model.config.feature_specs}
    for name in (input_dims if role == "speaker" else stream_dims)(model.config):
        array = ds.emotion(role) if name == SPEAKER_EMOTION else ds.features(specs[name], role)
        check_stream_dim(model.config, name, array.shape[-1])
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


class Autoencoder(nn.Module):
    """Stage 1's trained path, encoder then decoder, as one module (what DDP wraps).

    ``{name: (B, T, D)}`` -> ``(emotion (B, T, 25), threedmm (B, T, 58))``.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, streams: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoder(self.encoder(streams))


def reconstruction_loss(model: ReactDiff | nn.Module, streams, emotion, threedmm) -> torch.Tensor:
    """Stage 1 loss (paper): ``10 * MSE(3DMM) + 10 * L1(emotion)``; ``model`` a ReactDiff or an
    :class:`Autoencoder` (plain or in DDP)."""
    autoencoder = Autoencoder(model.encoder, model.decoder) if isinstance(model, ReactDiff) else model
    pred_emotion, pred_3dmm = autoencoder(streams)
    return 10 * nn.functional.mse_loss(pred_3dmm, threedmm) + 10 * (pred_emotion - emotion).abs().mean()


def diffusion_loss(model: ReactDiff, unet, x0: torch.Tensor, cond: torch.Tensor, generator: torch.Generator,
                   rows=slice(None), chain: torch.Tensor | None = None) -> torch.Tensor:
    """Stage 2's loss of one step: :meth:`ReactDiff.diffusion_loss` on the windows ``rows`` of a global
    batch, through ``unet`` (``model.unet``, or it in DDP). A seam of its own so that tests can watch the steps."""
    return model.diffusion_loss(x0, cond, generator, chain, unet=unet, rows=rows)


class _DataParallel:
    """This rank's share of each global batch, and the collectives of the epoch decisions.

    Without ``distributed`` (or without a process group) it is the identity: one process trains
    exactly as before (no DDP, no loss scaling, no collectives).
    """

    def __init__(self, distributed: bool) -> None:
        self.on = distributed and pg.is_distributed()
        self.rank, self.world = (pg.rank(), pg.world_size()) if self.on else (0, 1)

    def wrap(self, module: nn.Module) -> nn.Module:
        # All parameters take part in every step (find_unused_parameters off: no extra graph walk).
        # Buffers (the input statistics) are equal on every rank already, so none are broadcast.
        return DistributedDataParallel(module, broadcast_buffers=False) if self.on else module

    def split(self, idx: torch.Tensor) -> tuple[torch.Tensor, float]:
        """``(local, scale)``: this rank's rows of the global batch ``idx`` ``(n,)`` and its loss factor.

        DDP averages the ranks' gradients of their local mean losses; scaling rank r's loss by
        ``n_r * world / n`` makes that average the gradient of the global mean loss. A rank left with
        no rows (a last batch smaller than the world) still has to join the gradient all-reduce: it
        runs one row with scale 0.
        """
        if not self.on:
            return idx, 1.0
        local = idx[self.rank::self.world]
        scale = len(local) * self.world / len(idx)
        return (local if len(local) else idx[:1]), scale

    def mean_loss(self, scaled: torch.Tensor) -> float:
        """The global batch's loss from each rank's scaled local loss (identical on every rank)."""
        if not self.on:
            return float(scaled.detach())
        return float(pg.all_reduce(scaled.detach().reshape(1))) / self.world

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is true on some rank (a wall-clock cap hit on one rank)."""
        if not self.on:
            return flag
        return bool(pg.all_reduce(torch.tensor([int(flag)]), op="max"))

    def agree(self, value: float) -> float:
        """Rank 0's ``value`` on every rank, so that a choice made from it is the same everywhere."""
        return pg.broadcast_object(value) if self.on else value


def _scaled(loss: torch.Tensor, scale: float) -> torch.Tensor:
    # scale is exactly 1 in one process and for even shares: leave the graph untouched then
    return loss if scale == 1.0 else loss * scale


def fit(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
        device: torch.device | str = "cpu", log=print, distributed: bool = False) -> ReactDiff:
    """Train both stages in place; returns the EMA model (selected on ``val``) to sample with.

    ``distributed``: train data-parallel with the other ranks of the process group (every rank calls
    ``fit`` with the same arguments; see the module docstring); only rank 0 logs. Ignored without a
    process group.
    """
    if distributed and pg.rank() != 0:
        log = _quiet
    start = time.perf_counter()
    budget = model.config.max_train_seconds
    fit_autoencoder(model, train, val, seed=seed, device=device, log=log, distributed=distributed,
                    max_seconds=None if budget is None else 0.4 * budget)
    fit_diffusion(model, train, val, seed=seed, device=device, log=log, distributed=distributed,
                  max_seconds=None if budget is None else budget - (time.perf_counter() - start))
    log(f"trained in {time.perf_counter() - start:.0f} s")
    return model.eval()


def _quiet(*args, **kwargs) -> None:
    pass


def fit_autoencoder(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
                    device: torch.device | str = "cpu", log=print, max_seconds: float | None = None,
                    distributed: bool = False) -> None:
    """Stage 1: MMT + decoder reconstruct the listener's own reaction; sets the input and latent statistics
    (from the whole training split, on every rank when ``distributed``)."""
    c = model.config
    dp = _DataParallel(distributed)
    # The global RNG only drives dropout: ranks hold different rows, so each gets its own masks (rank 0's
    # seed is the single-process one). Batches, crops and noise come from `gen`, the same on every rank.
    torch.manual_seed(seed + _DROPOUT_SEED_STRIDE * dp.rank)
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
    autoencoder = dp.wrap(Autoencoder(model.encoder, model.decoder))
    best, best_state = float("inf"), None
    N = emotion.shape[0]
    crop = min(c.crop_windows * L, T)
    for epoch in range(c.stage1_epochs):
        model.train()
        for idx in torch.randperm(N, generator=gen).split(c.batch_size):
            s = int(torch.randint(0, T // L - crop // L + 1, (1,), generator=gen)) * L
            local, scale = dp.split(idx)
            batch = {n: x[local, s:s + crop].to(device) for n, x in streams.items()}
            loss = _scaled(reconstruction_loss(autoencoder, batch, emotion[local, s:s + crop].to(device),
                                               threedmm[local, s:s + crop].to(device)), scale)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # under DDP this returns once the gradients are averaged over the ranks
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            ema.update(model)
        train_loss = dp.mean_loss(loss)
        last = dp.any(epoch + 1 == c.stage1_epochs
                      or (max_seconds is not None and time.perf_counter() - start > max_seconds))
        if val_data is None or _validates(epoch, last):
            # every rank computes the same validation loss from the same EMA; rank 0's is taken all the
            # same, so that the snapshot kept can never differ between ranks
            score = dp.agree(_val_stage1(ema.module, val_data, T, device) if val_data else train_loss)
            if score < best:
                best, best_state = score, copy.deepcopy(ema.module.state_dict())
            log(f"stage 1 epoch {epoch + 1}: train {train_loss:.4f} val {score:.4f}")
        if last:
            break
    model.load_state_dict(best_state)

    # latent statistics of the frozen MMT over the training listeners
    model.eval()
    z = _encode_raw(model, streams, T, device)  # (N, T, F)
    model.latent_mean.copy_(z.reshape(-1, z.shape[-1]).mean(0))
    model.latent_std.copy_(z.reshape(-1, z.shape[-1]).std(0).clamp_min(1e-5))


def fit_diffusion(model: ReactDiff, train: "ReactDataset", val: "ReactDataset | None", *, seed: int = 0,
                  device: torch.device | str = "cpu", log=print, max_seconds: float | None = None,
                  distributed: bool = False) -> None:
    """Stage 2 (MMT and decoder frozen): the UNet learns eps on listener latents given speaker latents.

    With ``cond_drop_prob > 0`` a random share of the windows sees the null condition (zeros: the
    mean latent), so the same network also predicts unconditional eps (classifier-free guidance).
    With ``window_chain`` every window also sees the true previous listener window of its clip, as its
    residual around the prior (teacher forcing; none for a clip's first window), dropped for a
    ``chain_drop_prob`` share.
    ``distributed``: data-parallel over the process group (the UNet in DDP during the epochs only, so
    the EMA and the checkpoint see the plain module).
    """
    c = model.config
    dp = _DataParallel(distributed)
    torch.manual_seed(seed + 1 + _DROPOUT_SEED_STRIDE * dp.rank)  # dropout only, as in stage 1
    gen = torch.Generator().manual_seed(seed + 1)
    L = c.window
    start = time.perf_counter()
    model.to(device).eval()
    T = _usable_frames(train.emotion("listener").shape[1], L)
    x0, speaker = stage2_data(model, train, T, device)
    cond = condition_window_rows(speaker, L)
    vx0 = vspeaker = vcond = vchain = None
    if val is not None:
        vx0, vspeaker = stage2_data(model, val, T, device)
        vcond = condition_window_rows(vspeaker, L)
    if model.prior is not None:  # closed form, before the UNet learns the residual around it
        fit_prior(model, x0, speaker, vx0, vspeaker, log=log)
    if c.window_chain:  # each window sees the residual of the clip's previous window (x0 itself without a prior)
        chain = _chain(_residuals(model, x0, cond), T // L)
        vchain = _chain(_residuals(model, vx0, vcond), T // L) if val is not None else None
    else:
        chain = None
    for p in list(model.encoder.parameters()) + list(model.decoder.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.unet.parameters(), lr=c.lr, betas=(0.9, 0.999), weight_decay=c.weight_decay)
    ema = EMA(model, c.ema_decay)
    best, best_state = float("inf"), copy.deepcopy(model.state_dict())
    unet = dp.wrap(model.unet)
    for epoch in range(c.stage2_epochs):
        model.unet.train()
        for idx in torch.randperm(x0.shape[0], generator=gen).split(c.stage2_batch_size):
            batch_cond = cond[idx]
            if c.cond_drop_prob > 0:
                keep = torch.rand(len(idx), generator=gen) >= c.cond_drop_prob
                batch_cond = batch_cond * keep[:, None, None]
            batch_chain = None
            if chain is not None:
                batch_chain = chain[idx]
                if c.chain_drop_prob > 0:  # drawn only with window_chain: without it the stream of draws is as before
                    batch_chain = batch_chain * (torch.rand(len(idx), generator=gen) >= c.chain_drop_prob)[:, None]
            # noise and timesteps of the whole global batch on every rank, this rank's rows used
            rows, scale = dp.split(torch.arange(len(idx)))
            loss = _scaled(diffusion_loss(model, unet, x0[idx], batch_cond, gen, rows, batch_chain), scale)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.unet.parameters(), 1.0)
            opt.step()
            ema.update(model)
        last = dp.any(epoch + 1 == c.stage2_epochs
                      or (max_seconds is not None and time.perf_counter() - start > max_seconds))
        if val is not None and _validates(epoch, last):
            with torch.no_grad():
                score = dp.agree(float(ema.module.diffusion_loss(vx0, vcond, torch.Generator().manual_seed(1234), vchain)))
            if score < best:
                best, best_state = score, copy.deepcopy(ema.module.state_dict())
            log(f"stage 2 epoch {epoch + 1}: train {dp.mean_loss(loss):.4f} val {score:.4f}")
        elif val is None:
            best_state = copy.deepcopy(ema.module.state_dict())
        if last:
            break
    del unet  # unwrapped: the DDP wrapper (and its gradient hooks) goes, model.unet stays
    model.load_state_dict(best_state)
    model.eval()


def fit_prior(model: ReactDiff, x0: torch.Tensor, speaker: torch.Tensor, vx0: torch.Tensor | None = None,
              vspeaker: torch.Tensor | None = None, *, log=print) -> None:
    """The linear prior's closed-form fits (:func:`stage2_data`'s listener windows ``x0 (N W, L, F)`` and
    per-frame speaker condition ``speaker (N, T, C)``; val's choose each penalty): the causal weights, and
    with ``prior_look_ahead`` the look-ahead weights from condition windows that hold the speaker's next
    window too (models/reactdiff/prior.py)."""
    L = model.config.window
    for ahead in (False, True) if model.config.reads_ahead else (False,):
        val_args = (condition_window_rows(vspeaker, L, ahead=ahead), vx0) if vspeaker is not None else ()
        errors = model.prior.fit(condition_window_rows(speaker, L, ahead=ahead), x0, *val_args)
        penalty = model.prior.penalty_ahead if ahead else model.prior.penalty
        log(f"stage 2 {'look-ahead' if ahead else 'linear'} prior: penalty {float(penalty):g} (val MSE by penalty {errors})")


def _validates(epoch: int, last: bool) -> bool:
    """Whether the EMA is scored on val after ``epoch`` (0-based): every :data:`VALIDATE_EVERY`-th, and the last."""
    return last or epoch % VALIDATE_EVERY == VALIDATE_EVERY - 1


@torch.no_grad()
def _in_chunks(fn, streams, T: int, device, chunk: int = 32) -> torch.Tensor:
    """``fn`` over the first T frames of ``streams`` ``{name: (N, T', D)}``, ``chunk`` clips at a time, on ``device``."""
    N = next(iter(streams.values())).shape[0]
    return torch.cat([fn({n: x[i:i + chunk, :T].to(device) for n, x in streams.items()}).cpu() for i in range(0, N, chunk)])


def _encode_raw(model: ReactDiff, streams, T: int, device) -> torch.Tensor:
    """``(N, T, F)`` latents of the encoder before their normalisation."""
    return _in_chunks(model.encoder, streams, T, device)


def stage2_data(model: ReactDiff, ds: "ReactDataset", T: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """What stage 2 learns from, through the frozen encoder: the normalised listener latent windows
    ``(N W, L, F)`` and the speaker's per-frame condition ``(N, T, C)`` (:meth:`ReactDiff.condition`)."""
    L, F = model.config.window, model.config.latent_dim
    x0 = model.normalize(_encode_raw(model, load_streams(ds, "listener", model), T, device)).reshape(-1, L, F)
    return x0, _in_chunks(model.condition, load_streams(ds, "speaker", model), T, device)


def condition_window_rows(speaker: torch.Tensor, window: int, *, ahead: bool = False) -> torch.Tensor:
    """Per-frame condition ``(N, T, C)`` -> condition windows ``(N * W, 2L, C)`` (``(N * W, 3L, C)`` with
    ``ahead``: the next window too), in the order of the listener windows."""
    cond = condition_windows(speaker, window, ahead=ahead)  # (N, W, span, C)
    return cond.reshape(-1, cond.shape[2], cond.shape[3])


@torch.no_grad()
def _residuals(model: ReactDiff, x0: torch.Tensor, cond: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Listener windows ``x0 (N, L, F)`` minus the (causal) prior mean of their condition ``(N, 2L, C)``."""
    if model.prior is None:
        return x0
    return torch.cat([x0[i:i + chunk] - model.prior_mean(cond[i:i + chunk]).to(x0) for i in range(0, len(x0), chunk)])


def _chain(x0: torch.Tensor, windows: int) -> torch.Tensor:
    """Listener windows ``(N * W, L, F)`` (clip-major) -> each window's ``chain (N * W, F + 1)``: the last
    frame of the clip's previous window and a 1; zeros for a clip's first window (as at sampling)."""
    chain = chain_input(x0).reshape(-1, windows, x0.shape[2] + 1)  # (N, W, F + 1): window w's own last frame
    chain = torch.cat([torch.zeros_like(chain[:, :1]), chain[:, :-1]], dim=1)  # shifted: window w gets w - 1's
    return chain.reshape(-1, x0.shape[2] + 1)


@torch.no_grad()
def _val_stage1(model: ReactDiff, val_data, T: int, device) -> float:
    streams, emotion, threedmm = val_data
    streams = {n: x[:, :T].to(device) for n, x in streams.items()}
    return float(reconstruction_loss(model, streams, emotion[:, :T].to(device), threedmm[:, :T].to(device)))
