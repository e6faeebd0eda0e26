"""Slow, independent references written straight from /work/shared/SPEC-metrics.md, plus data makers.

Each reference loops the way the official REACT2024 scripts do (per speaker, generation, neighbour,
lag, channel) and keeps their dtypes: float32 sequences, ``np.mean``/``np.var``/``np.std`` on them,
``np.corrcoef`` (float64) for r, ``torch.mean(torch.Tensor(list))`` (float32) for a lag's channel
mean and ``torch.argmax`` over the 99 lags. Nothing here shares code with react_bench.metrics.
"""

from __future__ import annotations

import numpy as np
import torch

MAX_LAG = 49


# --- data -------------------------------------------------------------------------------------
def emotion_sequences(rng: np.random.Generator, shape: tuple[int, ...], *, binary_au: bool = True) -> np.ndarray:
    """Emotion-like float32 sequences ``(..., T, 25)``: binary AU runs, smooth VA, softmax expressions."""
    *lead, t = shape
    walk = np.cumsum(rng.normal(0, 0.15, size=(*lead, t, 25)), axis=-2)
    walk -= walk.mean(axis=-2, keepdims=True)
    out = np.empty((*lead, t, 25), dtype=np.float64)
    au = walk[..., :15] + rng.normal(0, 0.5, size=(*lead, 1, 15))
    out[..., :15] = (au > 0.8).astype(np.float64) if binary_au else 1 / (1 + np.exp(-au))
    out[..., 15:17] = np.tanh(walk[..., 15:17])
    logits = walk[..., 17:]
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    out[..., 17:] = e / e.sum(axis=-1, keepdims=True)
    return out.astype(np.float32)


def appropriateness(rng: np.random.Generator, n: int, m: int, per_row: int = 3) -> np.ndarray:
    """``(n, m)`` 0/1 with its own listener (k % m) and ``per_row - 1`` random others in each row."""
    a = np.zeros((n, m), dtype=np.int64)
    for k in range(n):
        a[k, k % m] = 1
        a[k, rng.choice(m, size=min(per_row - 1, m), replace=False)] = 1
    return a


# --- CCC / FRCorr -------------------------------------------------------------------------------
def ccc_sequence(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean over channels of the official per-channel CCC; a NaN r (constant channel) becomes 0."""
    values = []
    for c in range(y_true.shape[1]):
        a, b = y_true[:, c], y_pred[:, c]
        with np.errstate(invalid="ignore", divide="ignore"):  # the NaN r IS the quirk being reproduced
            r = np.corrcoef(a, b)[0][1]
        r = 0.0 if np.isnan(r) else r
        numerator = 2 * r * np.std(a) * np.std(b)
        denominator = np.var(a) + np.var(b) + (np.mean(a) - np.mean(b)) ** 2
        values.append(numerator / (denominator + 1e-8))
    return float(np.mean(values))


def fr_corr_loop(preds, targets, appropriate, ccc=ccc_sequence) -> np.ndarray:
    """Per-speaker ``sum_i max_{j appropriate} CCC`` -> ``(N,)``."""
    out = []
    for k in range(preds.shape[0]):
        neighbours = np.flatnonzero(appropriate[k])
        out.append(sum(max(ccc(targets[j], preds[k, i]) for j in neighbours) for i in range(preds.shape[1])))
    return np.array(out)


# --- TLCC / FRSyn -------------------------------------------------------------------------------
def tlcc_offset(x: np.ndarray, s: np.ndarray) -> int:
    """Official offset of one ``(T, 25)`` prediction against its speaker (99 lags x 25 corrcoef)."""
    rs = []
    for lag in range(-MAX_LAG, MAX_LAG + 1):
        pcc = []
        for c in range(x.shape[1]):
            if lag > 0:
                a, b = x[lag:, c], s[:-lag, c]
            elif lag < 0:
                a, b = x[:lag, c], s[-lag:, c]
            else:
                a, b = x[:, c], s[:, c]
            with np.errstate(invalid="ignore", divide="ignore"):  # NaN kept: it decides the argmax
                pcc.append(np.corrcoef(a, b)[0][1])
        rs.append(torch.mean(torch.Tensor(pcc)))
    return int(np.floor(len(rs) / 2) - torch.argmax(torch.Tensor(rs)))


def tlcc_offsets_loop(preds: np.ndarray, speaker: np.ndarray) -> np.ndarray:
    return np.array([[tlcc_offset(preds[k, i], speaker[k]) for i in range(preds.shape[1])] for k in range(preds.shape[0])])


# --- diversity ---------------------------------------------------------------------------------
def fr_div_loop(preds: np.ndarray) -> np.ndarray:
    n, g, t, c = preds.shape
    p = preds.astype(np.float64)
    out = []
    for k in range(n):
        total = sum(np.sum((p[k, i] - p[k, j]) ** 2) for i in range(g) for j in range(g) if i != j)
        out.append(total / (g * (g - 1) * t * c) if g > 1 else 0.0)
    return np.array(out)


def fr_var_loop(preds: np.ndarray) -> float:
    p = preds.astype(np.float64)
    return float(np.mean([np.var(p[k, i, :, c], ddof=1) for k in range(p.shape[0]) for i in range(p.shape[1])
                          for c in range(p.shape[3])]))


def fr_dvs_loop(preds: np.ndarray) -> float:
    n, g, t, c = preds.shape
    p = preds.astype(np.float64)
    total = sum(np.sum((p[k, i] - p[q, i]) ** 2) for i in range(g) for k in range(n) for q in range(n) if k != q)
    return float(total / (n * (n - 1) * g * t * c))


# --- DTW / FRDist (tslearn, per pair and group) --------------------------------------------------
def react_distance(x: np.ndarray, y: np.ndarray) -> float:
    """``dtw(AU) / 15 + dtw(VA) + dtw(FE) / 8`` with tslearn's DTW (sqrt of the squared-Euclidean cost)."""
    from tslearn.metrics import dtw

    return dtw(x[:, 0:15], y[:, 0:15]) / 15 + dtw(x[:, 15:17], y[:, 15:17]) + dtw(x[:, 17:25], y[:, 17:25]) / 8


def fr_dist_loop(preds: np.ndarray, targets: np.ndarray, appropriate: np.ndarray) -> np.ndarray:
    """Per-speaker ``sum_i min_{j appropriate} D(preds[k, i], targets[j])`` -> ``(N,)``."""
    out = []
    for k in range(preds.shape[0]):
        neighbours = np.flatnonzero(appropriate[k])
        out.append(sum(min(react_distance(preds[k, i], targets[j]) for j in neighbours) for i in range(preds.shape[1])))
    return np.array(out)


def evaluate_loop(preds, targets, speaker, appropriate, *, rea_fn=None) -> dict:
    """All seven metrics (react2024) the official way: loops over speakers, generations, neighbours, lags."""
    result = {
        "FRCorr": float(fr_corr_loop(preds, targets, appropriate).mean()),
        "FRDist": float(fr_dist_loop(preds, targets, appropriate).mean()),
        "FRDiv": float(fr_div_loop(preds).mean()),
        "FRVar": fr_var_loop(preds),
        "FRDvs": fr_dvs_loop(preds),
        "FRSyn": float(np.mean([abs(tlcc_offset(preds[k, 0], speaker[k])) for k in range(preds.shape[0])])),
    }
    if rea_fn is not None:
        result["FRRea"] = rea_fn(preds, targets)
    return result
