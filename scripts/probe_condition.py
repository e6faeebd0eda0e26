"""Linear probes: which speaker information carries ridge's lead over ReactDiff (test split).

Fits ridge regressions (closed form, float64, penalty 1e-2 per row, no val selection) from feature
sets of the speaker to the listener's emotion on the train split, and scores their mean prediction
(repeated 10 times, so FRDiv 0) on the test split with FRCorr and FRDist:

- ridge's own features (:mod:`react_bench.baselines.ridge`), built up: emotion lags; + talk lags and
  silence length; + the long-silence indicator; + long silence x emotion lags (ridge itself);
- the same with the speaker *latent* of a ReactDiff checkpoint (what its UNet is conditioned on)
  in place of the emotion: latent lags; + the talk regime; + long silence x latent lags.

    python scripts/probe_condition.py runs/reactdiff/checkpoints/<key>-seed0.pt
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from react_bench.baselines import ridge
from react_bench.data import default_data_root
from react_bench.data.features.acoustic import talk_mask
from react_bench.data.layout import open_dataset
from react_bench.metrics import fr_corr, fr_dist
from react_bench.models.reactdiff.train import load_streams
from react_bench.runner.checkpoint import load_checkpoint

PENALTY = 1e-2


def _probe_sets(ds, model) -> list[dict[str, np.ndarray]]:
    """Per clip: feature set name -> ``(T, D)`` float64."""
    lags = ridge.LAGS
    E, nl = 25 * len(lags), len(lags)
    with torch.no_grad():
        streams = load_streams(ds, "speaker", model)
        z = torch.cat([model.encode({k: v[i:i + 16] for k, v in streams.items()})
                       for i in range(0, len(ds), 16)]).double().numpy()  # (N, T, F)
    speaker = ds.emotion("speaker")
    out = []
    for k in range(len(ds)):
        full = ridge.features(speaker[k].astype(np.float64), talk_mask(ds.audio(k, "speaker"), speaker.shape[1]))
        # ridge's layout: [1 | emotion lags E | talk lags nl | silence 1 | long 1 | long x emotion lags E]
        const, emotion, regime, long = full[:, :1], full[:, 1:1 + E], full[:, 1 + E:3 + E + nl], full[:, [2 + E + nl]]
        index = np.arange(len(z[k]))
        latent = np.concatenate([z[k][np.clip(index - lag, 0, None)] for lag in lags], axis=1)
        out.append({
            "emotion lags": np.concatenate([const, emotion], 1),
            "+ talk lags, silence": np.concatenate([const, emotion, regime[:, :-1]], 1),
            "+ long silence": np.concatenate([const, emotion, regime], 1),
            "+ long silence x emotion lags (ridge)": full,
            "latent lags": np.concatenate([const, latent], 1),
            "latent + talk regime": np.concatenate([const, latent, regime], 1),
            "+ long silence x latent lags": np.concatenate([const, latent, regime, long * latent], 1),
        })
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    args = parser.parse_args()
    model = load_checkpoint(args.checkpoint).model.eval()
    root = default_data_root()
    train, test = open_dataset(root, "train"), open_dataset(root, "test")
    x_train, x_test = _probe_sets(train, model), _probe_sets(test, model)
    y_train = train.emotion("listener").astype(np.float64)
    targets = torch.from_numpy(np.ascontiguousarray(test.targets()))
    appropriate = torch.from_numpy(test.appropriateness())
    for name in x_train[0]:
        xtx = sum(x[name].T @ x[name] for x in x_train)
        xty = sum(x[name].T @ y for x, y in zip(x_train, y_train))
        w = ridge._solve(xtx, xty, PENALTY * sum(len(x[name]) for x in x_train))
        mean = np.stack([ridge._clip_to_ranges(x[name] @ w) for x in x_test]).astype(np.float32)
        preds = torch.from_numpy(mean)[:, None].expand(-1, 10, -1, -1).contiguous()  # (N, 10, T, 25)
        print(f"{name:40s} FRCorr {float(fr_corr(preds, targets, appropriate)):.3f} "
              f"FRDist {float(fr_dist(preds, targets, appropriate)):.1f}", flush=True)


if __name__ == "__main__":
    main()
