"""Each metric alone at the challenge size (N=50, G=10, T=750, ~7 appropriate reactions per speaker,
binary AUs), beside the straightforward loop reference of the same work. Prints the ratio and stores
it in ``benchmark.extra_info``; no wall-clock bound is asserted.

Run: pytest tests/benchmarks/test_bench_metrics.py --benchmark-only -s
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "metrics"))
from metric_references import (  # noqa: E402
    appropriateness,
    emotion_sequences,
    fr_corr_loop,
    fr_dist_loop,
    fr_div_loop,
    fr_dvs_loop,
    fr_var_loop,
    tlcc_offset,
)

from react_bench.metrics import fr_corr, fr_dist, fr_div, fr_dvs, fr_syn, fr_var, frechet_distance  # noqa: E402

N, G, T = 50, 10, 750


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    preds = emotion_sequences(rng, (N, G, T))
    targets = emotion_sequences(rng, (N, T))
    speaker = np.concatenate([targets[N // 2:], targets[: N // 2]])
    return preds, targets, speaker, appropriateness(rng, N, N, per_row=7)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def compare(benchmark, name, fast, loop, *, rounds=3, rel=1e-5):
    fast()  # warm-up: numba JIT and lazy imports stay out of the timed runs
    value = benchmark.pedantic(fast, rounds=rounds, iterations=1)
    want, loop_seconds = timed(loop)
    ours = benchmark.stats.stats.min
    ratio = loop_seconds / ours
    benchmark.extra_info.update(loop_seconds=loop_seconds, seconds=ours, speedup=ratio)
    print(f"\n{name}: react-bench {ours:.3f} s, loop reference {loop_seconds:.2f} s, {ratio:.1f}x")
    assert value == pytest.approx(want, rel=rel)
    return ratio


def test_bench_fr_corr(benchmark, data):
    preds, targets, _, a = data
    compare(benchmark, "FRCorr", lambda: fr_corr(preds, targets, a),
            lambda: float(fr_corr_loop(preds, targets, a).mean()))


def test_bench_fr_dist(benchmark, data):
    preds, targets, _, a = data
    pairs = int(a.sum()) * G * 3
    ratio = compare(benchmark, "FRDist", lambda: fr_dist(preds, targets, a),
                    lambda: float(fr_dist_loop(preds, targets, a).mean()), rounds=1)
    benchmark.extra_info["dtw_pairs_per_second"] = pairs / benchmark.stats.stats.min
    print(f"FRDist: {pairs} single-group DTW pairs, {pairs / benchmark.stats.stats.min:,.0f} pairs/s ({ratio:.1f}x)")


def test_bench_fr_syn(benchmark, data):
    preds, _, speaker, _ = data
    compare(benchmark, "FRSyn (generation 0)", lambda: fr_syn(preds, speaker),
            lambda: float(np.mean([abs(tlcc_offset(preds[k, 0], speaker[k])) for k in range(N)])))


def test_bench_diversity(benchmark, data):
    preds = data[0]
    compare(benchmark, "FRDiv+FRVar+FRDvs", lambda: (fr_div(preds), fr_var(preds), fr_dvs(preds)),
            lambda: (float(fr_div_loop(preds).mean()), fr_var_loop(preds), fr_dvs_loop(preds)))


@pytest.mark.filterwarnings("ignore:.*disp.*:DeprecationWarning")
def test_bench_frechet_2048(benchmark):
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3000, 2048)), rng.normal(size=(3000, 2048)) * 1.1 + 0.05
    stats = [(x.mean(0), np.cov(x, rowvar=False)) for x in (a, b)]
    compare(benchmark, "Frechet distance 2048-d", lambda: frechet_distance(a, b),
            lambda: float(calculate_frechet_distance(stats[0][0], stats[0][1], stats[1][0], stats[1][1])), rounds=1)
