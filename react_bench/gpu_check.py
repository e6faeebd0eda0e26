"""One-command check of a GPU machine: ``python -m react_bench.gpu_check [--out gpu-check.json] [--n 1000]``.

1. Runs every gpu-marked test (``pytest -m gpu -q tests``) in a subprocess, per-test outcome recorded.
2. Measures pairs/s of the REACT three-group DTW (T = 750): the fused Triton kernel and the torch
   wavefront on CUDA, the numba kernel on the CPU; then ``evaluate`` at N = 1000, G = 10, ~10
   appropriate reactions per speaker, on CUDA, with its seconds per metric (N is lowered, and the
   record says so, when the measured DTW rate of that path would not fit the time budget).
3. Agreement of CUDA with CPU: kernel costs against numba, and ``evaluate`` on a small subset.

Everything is printed and written atomically to ``--out``. Without CUDA only the CPU parts run (numba
pairs/s, the kernel under Triton's interpreter in a subprocess), with ``"cuda": false``. Exit status
1 when a test failed or an agreement check missed its tolerance, else 0. Designed to finish within
5 minutes on one H100-class GPU (``--budget-s``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import torch

from react_bench.metrics import _dtw_numba, _dtw_torch, _dtw_triton
from react_bench.metrics.dtw import (
    REACT_GROUPS,
    pairwise_dtw,
    react_distance_from_costs,
)
from react_bench.utils import atomic_write_json, provenance

REPO = Path(__file__).resolve().parents[1]
COST_RTOL = 1e-12
"""Kernel costs against numba: float64 on both sides, only FMA contraction differs."""
METRIC_RTOL, METRIC_ATOL = 1e-6, 1e-9
"""``evaluate`` on CUDA against the CPU: the tolerance of tests/metrics/test_evaluate.py's GPU test."""


def emotion_sequences(gen: torch.Generator, shape: tuple[int, ...], device) -> torch.Tensor:
    """Emotion-like float32 ``(*shape, 25)``: binary AU runs, smooth valence/arousal, softmax expressions."""
    *lead, t = shape
    walk = torch.cumsum(torch.randn(*lead, t, 25, generator=gen, device=device) * 0.15, dim=-2)
    walk = walk - walk.mean(dim=-2, keepdim=True)
    au = walk[..., :15] + 0.5 * torch.randn(*lead, 1, 15, generator=gen, device=device)
    return torch.cat([(au > 0.8).float(), torch.tanh(walk[..., 15:17]), torch.softmax(walk[..., 17:], dim=-1)], -1)


def appropriateness(gen: torch.Generator, n: int, per_row: int) -> torch.Tensor:
    """``(n, n)`` 0/1: the sample's own listener and ``per_row - 1`` others at random (about ``per_row``)."""
    a = torch.zeros(n, n)
    a[torch.arange(n), torch.arange(n)] = 1.0
    others = torch.randint(0, n, (n, max(0, per_row - 1)), generator=gen)
    a[torch.arange(n)[:, None], others] = 1.0
    return a


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0))


def _pairs(gen: torch.Generator, n_seq: int, t: int, pairs: int, device):
    x = emotion_sequences(gen, (n_seq, t), "cpu").to(device)
    y = emotion_sequences(gen, (n_seq, t), "cpu").to(device)
    qi = torch.randint(0, n_seq, (pairs,), generator=gen).to(device)
    ti = torch.randint(0, n_seq, (pairs,), generator=gen).to(device)
    return x, y, qi, ti


def _numba(x, y, qi, ti) -> np.ndarray:
    def arr(a, dtype):
        return np.ascontiguousarray(a.detach().cpu().numpy(), dtype=dtype)

    return _dtw_numba.pair_costs(arr(x, np.float64), arr(y, np.float64), arr(qi, np.int64), arr(ti, np.int64),
                                 np.asarray(REACT_GROUPS, np.int64))


def _rate(fn, x, y, qi, ti, device) -> dict:
    """Pairs/s of ``fn`` on all pairs, after a warm-up call on a few (JIT compilation, caches)."""
    fn(x, y, qi[:8], ti[:8])
    _sync(device)
    start = time.perf_counter()
    out = fn(x, y, qi, ti)
    _sync(device)
    seconds = time.perf_counter() - start
    return {"pairs": int(qi.shape[0]), "seconds": seconds, "pairs_per_s": qi.shape[0] / seconds, "out": out}


def gpu_tests(timeout_s: float) -> dict:
    """``pytest -m gpu -q tests`` in a subprocess; outcome per test from its JUnit XML."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "gpu.xml"
        cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider", "tests", f"--junitxml={xml}"]
        start = time.perf_counter()
        try:
            run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as err:
            return {"ok": False, "error": f"timed out after {timeout_s:.0f} s", "output_tail": str(err.stdout)[-3000:]}
        tests = {}
        if xml.exists():
            for case in ET.parse(xml).iter("testcase"):
                kinds = {child.tag for child in case}
                outcome = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
                tests[f"{case.get('classname')}::{case.get('name')}"] = outcome
    counts = {k: sum(v == k for v in tests.values()) for k in ("passed", "failed", "skipped")}
    # pytest's status 5 means "no test collected": a failure here, the gpu tests exist
    return {"ok": run.returncode == 0 and counts["failed"] == 0 and counts["passed"] > 0, "returncode": run.returncode,
            "seconds": time.perf_counter() - start, **counts, "tests": tests, "output_tail": run.stdout[-2000:]}


_INTERPRET_SNIPPET = """
import json, sys, torch
from react_bench.metrics import _dtw_triton
from react_bench.gpu_check import _pairs
x, y, qi, ti = _pairs(torch.Generator().manual_seed(1), 3, int(sys.argv[1]), 4, "cpu")
print(json.dumps(_dtw_triton.pair_costs(x, y, qi, ti, [0, 15, 17, 25]).tolist()))
"""


def interpreter_check(t: int) -> dict:
    """The fused kernel under ``TRITON_INTERPRET=1`` (a subprocess: read at triton's import) against numba."""
    start = time.perf_counter()
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    run = subprocess.run([sys.executable, "-c", _INTERPRET_SNIPPET, str(t)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    if run.returncode != 0:
        return {"ok": False, "error": run.stderr[-3000:]}
    got = np.array(json.loads(run.stdout.strip().splitlines()[-1]))
    err = _rel_err(got, _numba(*_pairs(torch.Generator().manual_seed(1), 3, t, 4, "cpu")))
    return {"ok": err <= COST_RTOL, "t": t, "pairs": 4, "max_rel_err_vs_numba": err,
            "seconds": time.perf_counter() - start}


def cuda_kernels(args, dev: torch.device) -> dict:
    """Pairs/s of the fused kernel and the torch wavefront on CUDA, and their agreement with numba."""
    gen = torch.Generator().manual_seed(2)
    x, y, qi, ti = _pairs(gen, 64, args.t, args.pairs, dev)
    groups = list(REACT_GROUPS)
    fused = _rate(lambda *a: _dtw_triton.pair_costs(*a, groups), x, y, qi, ti, dev)
    wave = _rate(lambda *a: _dtw_torch.pair_costs(*a, groups), x, y, qi[: args.torch_pairs], ti[: args.torch_pairs], dev)
    n_ref = min(args.agree_pairs, args.pairs)
    ref = _numba(x, y, qi[:n_ref], ti[:n_ref])
    # an uneven pair set too (targets cut to 4/5 of the frames): the kernel swaps the roles of x and y
    y_short = y[:, : max(1, args.t * 4 // 5)].contiguous()
    uneven = _dtw_triton.pair_costs(x, y_short, qi[:n_ref], ti[:n_ref], groups).cpu().numpy()
    errs = {
        "fused_vs_numba": _rel_err(fused.pop("out")[:n_ref].cpu().numpy(), ref),
        "fused_uneven_vs_numba": _rel_err(uneven, _numba(x, y_short, qi[:n_ref], ti[:n_ref])),
        "torch_vs_numba": _rel_err(wave.pop("out")[: min(n_ref, args.torch_pairs)].cpu().numpy(), ref[: args.torch_pairs]),
    }
    return {"fused_cuda": fused, "torch_cuda": wave,
            "agreement_costs": {"pairs": n_ref, "rtol": COST_RTOL, "max_rel_err": errs,
                                "ok": all(e <= COST_RTOL for e in errs.values())}}


def _case(n: int, g: int, t: int, per_row: int, device, seed: int):
    gen = torch.Generator(device=device).manual_seed(seed)
    preds = emotion_sequences(gen, (n, g, t), device)
    targets = emotion_sequences(gen, (n, t), device)
    speaker = torch.roll(targets, n // 2, dims=0)  # the mirrored order of the challenge's splits
    return preds, targets, speaker, appropriateness(torch.Generator().manual_seed(seed), n, per_row)


def _fused_fr_dist(preds, targets, a) -> float:
    """FRDist with the fused kernel on the appropriate pairs only (what the CUDA path will compute)."""
    N, G, T, C = preds.shape
    k, j = torch.nonzero(a.to(preds.device), as_tuple=True)
    qi = (k[:, None] * G + torch.arange(G, device=preds.device)).reshape(-1)
    ti = j.repeat_interleave(G)
    dist = react_distance_from_costs(_dtw_triton.pair_costs(preds.reshape(N * G, T, C), targets, qi, ti, REACT_GROUPS))
    full = torch.full((N * G, targets.shape[0]), float("inf"), dtype=torch.float64, device=preds.device)
    full[qi, ti] = dist
    return float(full.amin(dim=1).reshape(N, G).sum(dim=1).mean())


def evaluate_cuda(args, dev: torch.device, budget_s: float) -> dict:
    """``evaluate`` on CUDA at N x G x T, N lowered to fit ``budget_s`` at the measured DTW rate."""
    from react_bench.metrics import evaluate

    probe = _case(2, args.g, args.t, 2, dev, seed=3)
    pairwise_dtw(probe[0], probe[1])  # warm-up: what fr_dist runs on CUDA, whichever kernel it uses
    _sync(dev)
    start = time.perf_counter()
    pairwise_dtw(probe[0], probe[1])
    _sync(dev)
    rate = 2 * args.g * 2 / (time.perf_counter() - start)
    n = args.n
    fit = int(0.6 * budget_s * rate / (args.g * args.appropriate))  # 0.6: the other metrics and data
    if fit < n:
        n = max(2, fit)
    preds, targets, speaker, a = _case(n, args.g, args.t, args.appropriate, dev, seed=4)
    result = evaluate(preds, targets, speaker, a, device=dev)
    _sync(dev)
    start = time.perf_counter()
    fused = _fused_fr_dist(preds, targets, a)
    _sync(dev)
    fused_s = time.perf_counter() - start
    return {"n": n, "requested_n": args.n, "scaled_down": n < args.n, "g": args.g, "t": args.t,
            "appropriate_per_row": float(a.sum(1).mean()), "pairwise_dtw_pairs_per_s": rate,
            "seconds": result["seconds"], "values": {k: v for k, v in result.items() if k.startswith("FR")},
            "fused_fr_dist": {"value": fused, "seconds": fused_s,
                              "rel_err_vs_evaluate": _rel_err(fused, result["FRDist"])}}


def evaluate_agreement(args, dev: torch.device) -> dict:
    """``evaluate`` on CUDA against the CPU on a small subset (same inputs)."""
    from react_bench.metrics import evaluate

    case = _case(args.agree_n, args.g, args.t, min(5, args.agree_n), "cpu", seed=5)
    cpu = evaluate(*case, device="cpu")
    gpu = evaluate(*case, device=dev)
    names = [k for k, v in cpu.items() if k.startswith("FR") and isinstance(v, float)]
    diffs = {k: abs(gpu[k] - cpu[k]) for k in names}
    ok = all(diffs[k] <= METRIC_ATOL + METRIC_RTOL * abs(cpu[k]) for k in names)
    return {"n": args.agree_n, "ok": ok, "rtol": METRIC_RTOL, "atol": METRIC_ATOL, "abs_diff": diffs,
            "cpu": {k: cpu[k] for k in names}, "cuda": {k: gpu[k] for k in names}}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m react_bench.gpu_check", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="gpu-check.json", help="JSON report (written atomically)")
    p.add_argument("--n", type=int, default=1000, help="speakers N of the evaluate run on CUDA")
    p.add_argument("--g", type=int, default=10, help="generations G per speaker")
    p.add_argument("--t", type=int, default=750, help="frames T of every sequence")
    p.add_argument("--appropriate", type=int, default=10, help="about this many appropriate reactions per speaker")
    p.add_argument("--pairs", type=int, default=16384, help="pairs timed with the fused kernel")
    p.add_argument("--torch-pairs", type=int, default=256, help="pairs timed with the torch wavefront")
    p.add_argument("--cpu-pairs", type=int, default=1024, help="pairs timed with the numba kernel")
    p.add_argument("--agree-pairs", type=int, default=64, help="pairs compared with numba")
    p.add_argument("--agree-n", type=int, default=16, help="speakers of the CPU-vs-CUDA evaluate comparison")
    p.add_argument("--interpret-t", type=int, default=12, help="frames of the interpreter check (0: skip it)")
    p.add_argument("--skip-tests", action="store_true", help="do not run the gpu-marked tests")
    p.add_argument("--budget-s", type=float, default=270.0, help="wall-clock budget; the evaluate run is sized to it")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda") if cuda else None
    report: dict = {"cuda": cuda, "device": torch.cuda.get_device_name(0) if cuda else None,
                    "triton": getattr(_dtw_triton.triton, "__version__", None), "config": vars(args),
                    "provenance": provenance()}
    skipped = {"skipped": "no CUDA device"}
    report["gpu_tests"] = skipped if not cuda else {"skipped": "--skip-tests"} if args.skip_tests else gpu_tests(
        min(150.0, 0.5 * args.budget_s))
    x, y, qi, ti = _pairs(torch.Generator().manual_seed(0), 32, args.t, args.cpu_pairs, "cpu")
    numba = _rate(lambda *a: _numba(*a), x, y, qi, ti, torch.device("cpu"))
    numba.pop("out")
    report["numba_cpu"] = {**numba, "threads": _dtw_numba.numba.get_num_threads()}
    if args.interpret_t > 0 and _dtw_triton.triton is not None and not cuda:
        report["interpreter"] = interpreter_check(args.interpret_t)
    else:
        report["interpreter"] = {"skipped": "the CUDA kernel is checked instead" if cuda else "triton missing or --interpret-t 0"}
    if cuda:
        report.update(cuda_kernels(args, dev))
        report["agreement_evaluate"] = evaluate_agreement(args, dev)
        report["evaluate_cuda"] = evaluate_cuda(args, dev, args.budget_s - (time.perf_counter() - start))
        for name in ("fused_cuda", "torch_cuda"):
            report[name]["speedup_vs_numba_cpu"] = report[name]["pairs_per_s"] / numba["pairs_per_s"]
    else:
        for name in ("fused_cuda", "torch_cuda", "agreement_costs", "agreement_evaluate", "evaluate_cuda"):
            report[name] = skipped
    report["ok"] = all(part.get("ok", True) for part in report.values() if isinstance(part, dict))
    report["seconds_total"] = time.perf_counter() - start
    atomic_write_json(args.out, report)
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
