"""The whole seven-metric ``evaluate`` beside the single-process loop reference of all seven (the
official scripts' way: loops over speakers x generations x neighbours, 99 lags x 25 corrcoef, tslearn
DTW per pair and group), timed in one run, results checked equal, the ratio printed per metric.

Run: pytest tests/benchmarks/test_bench_evaluate.py --benchmark-only -s
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

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

from react_bench.metrics import METRICS, evaluate, frechet_distance  # noqa: E402
from react_bench.metrics.realism import reaction_window_features  # noqa: E402


def make_case(n: int, g: int = 10, t: int = 750, seed: int = 0):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (n, g, t))
    targets = emotion_sequences(rng, (n, t))
    speaker = np.concatenate([targets[n // 2:], targets[: n // 2]])
    return preds, targets, speaker, appropriateness(rng, n, n, per_row=7)


def loop_reference(preds, targets, speaker, a) -> tuple[dict, dict]:
    """All seven metrics by the loop references, and the seconds each took."""
    jobs = {
        "FRCorr": lambda: float(fr_corr_loop(preds, targets, a).mean()),
        "FRDist": lambda: float(fr_dist_loop(preds, targets, a).mean()),
        "FRDiv": lambda: float(fr_div_loop(preds).mean()),
        "FRVar": lambda: fr_var_loop(preds),
        "FRDvs": lambda: fr_dvs_loop(preds),
        "FRSyn": lambda: float(np.mean([abs(tlcc_offset(preds[k, 0], speaker[k])) for k in range(len(preds))])),
        "FRRea": lambda: frechet_distance(reaction_window_features(torch.from_numpy(targets)),
                                          reaction_window_features(torch.from_numpy(preds[:, 0]))),
    }
    values, seconds = {}, {}
    for name, job in jobs.items():
        start = time.perf_counter()
        values[name] = job()
        seconds[name] = time.perf_counter() - start
    return values, seconds


def run_comparison(benchmark, n: int) -> None:
    case = make_case(n)
    evaluate(*make_case(2, 1, 60, seed=1))  # warm-up: JIT compilation stays out of the timed run
    time.sleep(1.0)  # let the warm-up's OpenMP threads stop spinning
    result = benchmark.pedantic(lambda: evaluate(*case), rounds=1, iterations=1)
    want, loop_seconds = loop_reference(*case)
    ours = benchmark.stats.stats.min
    total_loop = sum(loop_seconds.values())
    pairs = int(case[3].sum()) * case[0].shape[1] * 3
    print(f"\nevaluate N={n}, G=10, T=750: react-bench {ours:.2f} s, loop reference {total_loop:.1f} s, "
          f"{total_loop / ours:.1f}x; DTW {pairs / result['seconds']['FRDist']:,.0f} single-group pairs/s")
    for name in METRICS:
        ratio = loop_seconds[name] / result["seconds"][name]
        print(f"  {name:<7} {result['seconds'][name]:8.3f} s vs {loop_seconds[name]:8.2f} s  {ratio:8.1f}x   "
              f"value {result[name]:.6g} (loop {want[name]:.6g})")
        benchmark.extra_info[f"{name}_speedup"] = ratio
    benchmark.extra_info.update(seconds=ours, loop_seconds=total_loop, speedup=total_loop / ours)
    for name in METRICS:
        assert result[name] == pytest.approx(want[name], rel=1e-5, abs=1e-9), name


def test_bench_evaluate_n20_must_show(benchmark):
    run_comparison(benchmark, 20)


def test_bench_evaluate_n50(benchmark):
    run_comparison(benchmark, 50)
