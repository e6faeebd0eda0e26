"""DTW and FRDist speed beside the loop reference (tslearn ``dtw`` per pair and group).

Run: ``pytest tests/benchmarks/test_bench_dtw.py --benchmark-only -s``. Ratios and pairs per second
are printed and stored in ``benchmark.extra_info``, never asserted. The loop reference runs on a
subset of the pairs and is scaled to the full work (its cost per pair does not depend on which
pair). JIT compilation is kept out of the timed regions by a warm-up call.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np
import pytest
import torch
from tslearn.metrics import dtw as tslearn_dtw

from react_bench.metrics import _dtw_numba
from react_bench.metrics.dtw import pairwise_dtw
from react_bench.metrics.frdist import _fr_dist_numba, fr_dist

T = 750
APPROPRIATE_PER_SPEAKER = 7
REFERENCE_PAIRS = 24
"""(pred, target) pairs the tslearn loop actually runs; its time is scaled to the full work."""


def emotion_like(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """``(..., T, 25)`` float32 sequences shaped like REACT emotions: binary AUs, smooth VA in [-1, 1],
    smooth FE probabilities summing to 1."""
    lead, frames = shape[:-1], shape[-1]
    au = (rng.random((*lead, frames, 15)) < 0.2).astype(np.float64)
    va = np.tanh(np.cumsum(rng.normal(0, 0.05, (*lead, frames, 2)), axis=-2))
    logits = np.cumsum(rng.normal(0, 0.1, (*lead, frames, 8)), axis=-2)
    fe = np.exp(logits - logits.max(axis=-1, keepdims=True))
    fe /= fe.sum(axis=-1, keepdims=True)
    return np.concatenate([au, va, fe], axis=-1).astype(np.float32)


def appropriateness(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """``(n, m)`` 0/1 with the own listener plus random others, ``APPROPRIATE_PER_SPEAKER`` per row."""
    a = np.zeros((n, m), dtype=np.int64)
    for k in range(n):
        others = rng.choice(np.delete(np.arange(m), k % m), APPROPRIATE_PER_SPEAKER - 1, replace=False)
        a[k, [k % m, *others]] = 1
    return a


def tslearn_seconds_per_pair(preds: np.ndarray, targets: np.ndarray, a: np.ndarray, *, grouped: bool) -> float:
    """Seconds per (pred, target) pair of the loop reference on the first ``REFERENCE_PAIRS`` pairs."""
    flat = preds.reshape(-1, T, 25)
    g = preds.shape[1]
    pairs = [(q, j) for q in range(len(flat)) for j in np.flatnonzero(a[q // g])][:REFERENCE_PAIRS]
    _one_pair(flat[0, :5], targets[0, :5], grouped=grouped)  # tslearn compiles per input layout: not timed
    start = time.perf_counter()
    for q, j in pairs:
        _one_pair(flat[q], targets[j], grouped=grouped)
    return (time.perf_counter() - start) / len(pairs)


def _one_pair(x: np.ndarray, y: np.ndarray, *, grouped: bool) -> float:
    if not grouped:
        return tslearn_dtw(x, y)
    return tslearn_dtw(x[:, 0:15], y[:, 0:15]) / 15 + tslearn_dtw(x[:, 15:17], y[:, 15:17]) + tslearn_dtw(
        x[:, 17:25], y[:, 17:25]
    ) / 8


def _context() -> dict:
    return {"nproc": os.cpu_count(), "numba_threads": numba.get_num_threads(), "load_avg_1min": os.getloadavg()[0]}


def _warm_up() -> None:
    rng = np.random.default_rng(0)
    p, t = emotion_like(rng, (2, 2, 12)), emotion_like(rng, (3, 12))
    pairwise_dtw(p, t)
    fr_dist(p, t, np.ones((2, 3)))
    x = np.zeros((1, 12, 25))
    _dtw_numba.pair_costs(x, x, np.zeros(1, np.int64), np.zeros(1, np.int64), np.array([0, 25]))


def _report(benchmark, name: str, info: dict) -> None:
    benchmark.extra_info.update(info)
    print(f"\n[{name}] " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in info.items()))


def test_bench_pairwise_dtw(benchmark):
    """(a) pairwise_dtw at N=20, G=10, T=750, 7 appropriate targets per speaker (1,400 pairs)."""
    rng = np.random.default_rng(1)
    n, g = 20, 10
    preds, targets = emotion_like(rng, (n, g, T)), emotion_like(rng, (n, T))
    a = appropriateness(rng, n, n)
    pairs = int(a.sum()) * g
    _warm_up()
    result = benchmark.pedantic(pairwise_dtw, args=(preds, targets, a), rounds=1, iterations=1)
    assert torch.isfinite(result[torch.from_numpy(a.astype(bool))[:, None, :].expand_as(result)]).all()
    seconds = benchmark.stats.stats.min
    ref_per_pair = tslearn_seconds_per_pair(preds, targets, a, grouped=True)

    # single 25-channel DTW pairs, the unit of PERF-NOTES.md, on a quarter of the same pairs
    flat = np.ascontiguousarray(preds.reshape(-1, T, 25), dtype=np.float64)
    k, j = np.nonzero(a)
    qi = (k[:, None] * g + np.arange(g)).ravel()[: pairs // 4]
    ti = np.repeat(j, g)[: pairs // 4]
    start = time.perf_counter()
    _dtw_numba.pair_costs(flat, targets.astype(np.float64), qi, ti, np.array([0, 25], dtype=np.int64))
    single_seconds = time.perf_counter() - start
    ref_single = tslearn_seconds_per_pair(preds, targets, a, grouped=False)
    _report(benchmark, "pairwise_dtw N=20 G=10 T=750", {
        "pairs": pairs,
        "seconds": seconds,
        "react_pairs_per_s": pairs / seconds,
        "tslearn_loop_react_pairs_per_s": 1.0 / ref_per_pair,
        "ratio_vs_tslearn_loop": ref_per_pair * pairs / seconds,
        "single_25ch_pairs_per_s": len(qi) / single_seconds,
        "tslearn_loop_single_25ch_pairs_per_s": 1.0 / ref_single,
        "single_ratio_vs_tslearn_loop": ref_single * len(qi) / single_seconds,
        **_context(),
    })


@pytest.mark.parametrize("data", ["emotion_like", "near_target", "uniform"])
def test_bench_fr_dist(benchmark, data):
    """(b) fr_dist at N=50, G=10, T=750, 7 appropriate targets per speaker (3,500 pairs), with the
    time of the same computation without early abandoning. Data: ``emotion_like`` generations
    independent of the targets (a random model), ``near_target`` each generation a noisy copy of one
    of its appropriate targets (a model that imitates appropriate reactions), ``uniform`` noise."""
    rng = np.random.default_rng(2)
    n, g = 50, 10
    a = appropriateness(rng, n, n)
    if data == "uniform":
        preds, targets = rng.random((n, g, T, 25)).astype(np.float32), rng.random((n, T, 25)).astype(np.float32)
    else:
        preds, targets = emotion_like(rng, (n, g, T)), emotion_like(rng, (n, T))
    if data == "near_target":
        chosen = np.array([rng.choice(np.flatnonzero(row), g) for row in a])  # (n, g)
        preds = (targets[chosen] + rng.normal(0, 0.1, (n, g, T, 25))).astype(np.float32)
    pairs = int(a.sum()) * g
    _warm_up()
    value = benchmark.pedantic(fr_dist, args=(preds, targets, a), rounds=1, iterations=1)
    seconds = benchmark.stats.stats.min
    p, t, mask = torch.from_numpy(preds), torch.from_numpy(targets), torch.from_numpy(a.astype(bool))
    start = time.perf_counter()
    per_speaker, none_skipped = _fr_dist_numba(p, t, mask, abandon=False)
    no_abandon_seconds = time.perf_counter() - start
    _, skipped = _fr_dist_numba(p, t, mask, abandon=True)
    assert float(per_speaker.mean()) == value and none_skipped == 0
    ref_per_pair = tslearn_seconds_per_pair(preds, targets, a, grouped=True)
    _report(benchmark, f"fr_dist N=50 G=10 T=750 ({data})", {
        "pairs": pairs,
        "seconds": seconds,
        "react_pairs_per_s": pairs / seconds,
        "ratio_vs_tslearn_loop": ref_per_pair * pairs / seconds,
        "seconds_without_abandoning": no_abandon_seconds,
        "abandoning_speedup": no_abandon_seconds / seconds,
        "problems_abandoned": skipped,
        "abandoned_fraction": skipped / pairs,
        **_context(),
    })
