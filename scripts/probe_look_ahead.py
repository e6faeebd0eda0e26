"""Linear probe: how much reading the speaker *ahead* is worth offline (val and test splits).

Fits ridge regressions (closed form, float64, fixed penalties, train split) from the speaker to the
listener's emotion and scores their mean prediction (repeated 10 times, so FRDiv 0) with FRCorr and
FRDist on val and test:

- ridge's own causal features (:func:`react_bench.baselines.ridge.features`);
- the same plus the speaker's emotion and talk mask :data:`~models.reactdiff.prior.PRIOR_LEADS` frames
  ahead (held at the clip's end), and those emotion leads times ridge's "silent for 0.8 s" indicator:
  what ReactDiff's look-ahead prior reads (``prior_look_ahead``), in emotion space.

    python scripts/probe_look_ahead.py
"""

from __future__ import annotations

import numpy as np
import torch

from react_bench.baselines import ridge
from react_bench.data import default_data_root
from react_bench.data.features.acoustic import talk_mask
from react_bench.data.layout import open_dataset
from react_bench.metrics import fr_corr, fr_dist
from react_bench.models.reactdiff.prior import PRIOR_LEADS

PENALTIES = (1e-3, 1e-2)


def _features(emotion: np.ndarray, talk: np.ndarray, ahead: bool) -> np.ndarray:
    """``(T, D)`` ridge features of one speaker, with the lead features after them when ``ahead``."""
    causal = ridge.features(emotion, talk)
    if not ahead:
        return causal
    E, n_lags = 25 * len(ridge.LAGS), len(ridge.LAGS)
    long_silence = causal[:, [2 + E + n_lags]]  # ridge's layout: [1 | emotion lags | talk lags | silence | long | ...]
    index, last = np.arange(len(emotion)), len(emotion) - 1
    leads = np.concatenate([emotion[np.minimum(index + lead, last)] for lead in PRIOR_LEADS], axis=1)
    talks = np.stack([talk[np.minimum(index + lead, last)] for lead in PRIOR_LEADS], axis=1).astype(np.float64)
    return np.concatenate([causal, leads, talks, long_silence * leads], axis=1)


def _design(ds, ahead: bool) -> list[np.ndarray]:
    speaker = ds.emotion("speaker")
    return [_features(speaker[k].astype(np.float64), talk_mask(ds.audio(k, "speaker"), speaker.shape[1]), ahead)
            for k in range(len(ds))]


def main() -> None:
    root = default_data_root()
    train = open_dataset(root, "train")
    y_train = train.emotion("listener").astype(np.float64)
    scored = {split: open_dataset(root, split) for split in ("val", "test")}
    for ahead in (False, True):
        x_train = _design(train, ahead)
        xtx = sum(x.T @ x for x in x_train)
        xty = sum(x.T @ y for x, y in zip(x_train, y_train))
        rows = sum(len(x) for x in x_train)
        for split, ds in scored.items():
            x_split = _design(ds, ahead)
            targets = torch.from_numpy(np.ascontiguousarray(ds.targets()))
            appropriate = torch.from_numpy(ds.appropriateness())
            for penalty in PENALTIES:
                w = ridge._solve(xtx, xty, penalty * rows)
                mean = np.stack([ridge._clip_to_ranges(x @ w) for x in x_split]).astype(np.float32)
                preds = torch.from_numpy(mean)[:, None].expand(-1, 10, -1, -1).contiguous()  # (N, 10, T, 25)
                print(f"{'ahead ' if ahead else 'causal'} {split:4s} penalty {penalty:g}: "
                      f"FRCorr {float(fr_corr(preds, targets, appropriate)):.3f} "
                      f"FRDist {float(fr_dist(preds, targets, appropriate)):.1f}", flush=True)


if __name__ == "__main__":
    main()
