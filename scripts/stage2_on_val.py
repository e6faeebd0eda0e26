"""Choose a ReactDiff stage-2 setting on the validation split, without retraining stage 1.

Loads a checkpoint, keeps its stage-1 networks (encoder, decoder, input and latent statistics),
retrains stage 2 (the UNet, :func:`models.reactdiff.train.fit_diffusion`, seed 0) with the config
changes given as JSON, samples 10 reactions per val speaker and prints FRCorr, FRDist, FRDiv,
FREnergy, the window-jump ratio and the mean squared error of the sample mean against the true
listener (AU, VA, FE). With ``{}`` nothing is retrained: the checkpoint itself is scored; changes of
sampling fields only (temperature, guidance) re-sample the checkpoint; ``prior_look_ahead`` (with
sampling fields) adds the closed-form look-ahead prior to a ``linear_prior`` checkpoint and keeps its
UNet (which a fit with it trains identically: the UNet learns the residual of the causal prior).
The test split is never read.

    python scripts/stage2_on_val.py runs/reactdiff/checkpoints/<key>-seed0.pt '{"denoise_loss": "l1"}'

Options that change stage 1 (sizes of the encoder, ``dropout``, ...) are refused: stage 1 is frozen.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, fields

import numpy as np
import torch

from react_bench.constants import AU_SLICE, FE_SLICE, VA_SLICE
from react_bench.data import default_data_root
from react_bench.data.layout import open_dataset
from react_bench.metrics import fr_corr, fr_dist, fr_div, fr_energy
from react_bench.metrics.smoothness import window_jump_ratio
from react_bench.models.reactdiff import ReactDiff, ReactDiffConfig
from react_bench.models.reactdiff.config import SAMPLING_FIELDS  # changing only these re-samples, no retraining
from react_bench.models.reactdiff.train import (
    _usable_frames, condition_window_rows, fit_diffusion, load_streams, stage2_data,
)
from react_bench.runner.checkpoint import load_checkpoint

STAGE2_FIELDS = {
    "cond_lags", "window_chain", "chain_drop_prob", "use_diffusion", "train_timesteps", "inference_steps",
    "beta_schedule", "denoise_loss", "eta", "temperature", "cond_drop_prob", "guidance_scale", "stage2_epochs",
    "cond_voice_activity", "linear_prior", "prior_look_ahead", "residual_scale",
    "stage2_batch_size", "lr", "weight_decay", "ema_decay", "unet_channels", "unet_causal", "cond_dim", "num_threads",
}
"""Config fields that only stage 2 or sampling reads (so a frozen stage 1 stays valid)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("changes", help="JSON object of ReactDiffConfig fields to change ('{}': score the checkpoint)")
    parser.add_argument("--data", default=None, help="dataset root (default: the synthetic dataset)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", default=None, help="write the retrained model's config and weights here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    changes = json.loads(args.changes)
    unknown = sorted(set(changes) - {f.name for f in fields(ReactDiffConfig)})
    stage1 = sorted(set(changes) - STAGE2_FIELDS - set(unknown))
    if unknown or stage1:
        raise SystemExit(f"unknown fields {unknown}; fields that change stage 1 {stage1}: not possible here")

    base = load_checkpoint(args.checkpoint).model
    root = args.data or default_data_root()
    train, val = open_dataset(root, "train"), open_dataset(root, "val")
    model = base
    if changes and set(changes) <= SAMPLING_FIELDS:
        model.config = model.config.replace(**changes)
        model.scheduler.set_timesteps(model.config.inference_steps)
    elif changes and set(changes) <= SAMPLING_FIELDS | {"prior_look_ahead"}:
        model = ReactDiff(ReactDiffConfig.from_dict({**asdict(base.config), **changes}))
        missing, unexpected = model.load_state_dict(base.state_dict(), strict=False)
        assert not unexpected and set(missing) <= {"prior.weight_ahead", "prior.penalty_ahead"}, (missing, unexpected)
        if model.config.reads_ahead:
            _add_look_ahead_prior(model, train, val)
    elif changes:
        config = ReactDiffConfig.from_dict({**asdict(base.config), **changes})
        torch.manual_seed(0)
        model = ReactDiff(config)
        stage1_state = {k: v for k, v in base.state_dict().items() if not k.startswith(("unet.", "prior."))}
        missing, unexpected = model.load_state_dict(stage1_state, strict=False)
        assert not unexpected and all(k.startswith(("unet.", "prior.")) for k in missing), (missing, unexpected)
        start = time.perf_counter()
        fit_diffusion(model, train, val, seed=0)
        print(f"stage 2 retrained in {time.perf_counter() - start:.0f} s")
    model.eval()

    streams = load_streams(val, "speaker", model)
    T = val.emotion("listener").shape[1] // model.config.window * model.config.window
    with torch.no_grad():
        preds = torch.cat([
            model.generate({n: x[i:i + 8, :T] for n, x in streams.items()}, num_samples=10,
                           generator=torch.Generator().manual_seed(i))[0]
            for i in range(0, len(val), 8)])  # (N, 10, T, 25)
    targets = torch.from_numpy(np.ascontiguousarray(val.targets()[:, :T]))
    appropriate = torch.from_numpy(val.appropriateness())
    scores = {"FRCorr": fr_corr(preds, targets, appropriate), "FRDist": fr_dist(preds, targets, appropriate),
              "FRDiv": fr_div(preds), "FREnergy": fr_energy(preds, targets, appropriate),
              "window_jump": window_jump_ratio(preds)}
    error = preds.double().mean(1) - torch.from_numpy(val.emotion("listener")[:, :T]).double()  # (N, T, 25)
    for name, channels in (("AU", AU_SLICE), ("VA", VA_SLICE), ("FE", FE_SLICE)):
        scores[f"mse_of_mean_{name}"] = error[..., channels].square().mean()
    print(json.dumps({"changes": changes, **{k: round(float(v), 4) for k, v in scores.items()}}))
    if args.save:
        torch.save({"config": asdict(model.config), "weights": model.state_dict()}, args.save)


def _add_look_ahead_prior(model: ReactDiff, train, val) -> None:
    """The look-ahead prior's closed-form fit on the checkpoint's frozen encoder (the causal prior is kept)."""
    L = model.config.window
    T = _usable_frames(train.emotion("listener").shape[1], L)
    (x0, speaker), (vx0, vspeaker) = (stage2_data(model, ds, T, "cpu") for ds in (train, val))
    errors = model.prior.fit(condition_window_rows(speaker, L, ahead=True), x0,
                             condition_window_rows(vspeaker, L, ahead=True), vx0)
    print(f"look-ahead prior: penalty {float(model.prior.penalty_ahead):g} (val MSE by penalty {errors})")


if __name__ == "__main__":
    main()
