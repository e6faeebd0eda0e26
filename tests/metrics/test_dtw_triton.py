"""The fused Triton DTW kernel (``_dtw_triton``): interpreter runs, a compile for sm_90, a CUDA run.

Triton reads ``TRITON_INTERPRET`` when it is first imported, so the interpreter comparisons (against
numba and tslearn) live in ``interpret_dtw_triton.py`` and run here in a subprocess with the variable
set. The compile test needs no GPU: it lowers the kernel to a cubin for sm_90, which the interpreter
cannot vouch for (it accepts code that the compiler rejects, e.g. a reassigned constexpr).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

triton = pytest.importorskip("triton")

from react_bench.metrics import _dtw_numba, _dtw_triton

HERE = Path(__file__).resolve().parent
REACT = [0, 15, 17, 25]


def test_interpreter_matches_numba_and_tslearn():
    """Every test of interpret_dtw_triton.py, under TRITON_INTERPRET=1 (about 35 s on 2 cores)."""
    env = {**os.environ, "TRITON_INTERPRET": "1", "NUMBA_NUM_THREADS": "1"}
    # --noconftest: the helper needs no fixture, and must not depend on the rest of the suite importing
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest",
           str(HERE / "interpret_dtw_triton.py")]
    run = subprocess.run(cmd, env=env, cwd=HERE.parents[1], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-3000:]


def test_available_follows_device_and_interpreter(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    assert _dtw_triton.available(torch.zeros(1)) is False  # a CPU tensor needs the interpreter
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert _dtw_triton.available(torch.zeros(1)) is True


@pytest.mark.parametrize("block, warps, c, groups", [(1024, 16, 25, REACT), (64, 1, 3, [0, 1, 3]), (16, 1, 6, [0, 6])])
def test_kernel_compiles_for_sm90(block, warps, c, groups):
    """Lowered to PTX and assembled by ptxas for an H100-class GPU, without a GPU."""
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    bounds = groups + [groups[-1]] * (_dtw_triton.MAX_GROUPS + 1 - len(groups))
    sig = {"x_ptr": "*fp64", "y_ptr": "*fp64", "qi_ptr": "*i64", "ti_ptr": "*i64", "out_ptr": "*fp64",
           "scratch_ptr": "*fp64", "P": "i32", "T1": "i32", "T2": "i32", "n_steps": "i32"}
    # in the kernel's parameter order: a constexpr is addressed by its position
    const = {"C": c, "NG": len(groups) - 1, **{f"G{k}": b for k, b in enumerate(bounds)},
             "OUT_COL": 0, "OUT_STRIDE": len(groups) - 1, "BLOCK": block}
    sig.update({k: "constexpr" for k in const})
    src = ASTSource(_dtw_triton._dtw_kernel, sig, constexprs={(list(sig).index(k),): v for k, v in const.items()})
    try:
        kernel = triton.compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": warps})
    except RuntimeError as err:  # pragma: no cover - a triton build without the NVIDIA toolchain
        if "ptxas" in str(err).lower():
            pytest.skip(f"no ptxas: {err}")
        raise
    assert "bar.sync" in kernel.asm["ptx"]  # the debug barriers survived lowering
    assert kernel.asm["cubin"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_kernel_matches_numba_at_challenge_length():
    """T = 750 (and an uneven 750 x 600), REACT groups, float32 inputs as the official code has them."""
    rng = np.random.default_rng(0)
    x = rng.random((12, 750, 25)).astype(np.float32)
    y = rng.random((9, 750, 25)).astype(np.float32)
    qi = rng.integers(0, 12, size=300)
    ti = rng.integers(0, 9, size=300)
    for t2 in (750, 600):
        yy = np.ascontiguousarray(y[:, :t2])
        expected = _dtw_numba.pair_costs(x.astype(np.float64), yy.astype(np.float64), qi, ti, np.asarray(REACT))
        got = _dtw_triton.pair_costs(torch.from_numpy(x).cuda(), torch.from_numpy(yy).cuda(),
                                     torch.from_numpy(qi).cuda(), torch.from_numpy(ti).cuda(), REACT)
        assert got.device.type == "cuda" and got.shape == (300, 3)
        np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-12, atol=0)
