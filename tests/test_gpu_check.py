"""``python -m react_bench.gpu_check`` at tiny sizes: it runs here (with or without CUDA) and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("triton")

REPO = Path(__file__).resolve().parents[1]
TINY = ["--t", "60", "--pairs", "64", "--torch-pairs", "4", "--cpu-pairs", "16", "--agree-pairs", "8",
        "--n", "4", "--g", "2", "--appropriate", "2", "--agree-n", "4", "--interpret-t", "8",
        "--skip-tests"]  # --skip-tests: no pytest inside pytest


def test_gpu_check_runs_and_writes_its_report(tmp_path):
    out = tmp_path / "check.json"
    run = subprocess.run([sys.executable, "-m", "react_bench.gpu_check", "--out", str(out), *TINY],
                         cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report == json.loads(run.stdout[run.stdout.index("{"):])  # what it prints is what it wrote
    assert report["ok"] is True
    assert report["cuda"] is torch.cuda.is_available()
    assert report["config"]["t"] == 60 and report["provenance"]["git_hash"]
    assert report["numba_cpu"]["pairs"] == 16 and report["numba_cpu"]["pairs_per_s"] > 0
    assert report["gpu_tests"] == {"skipped": "--skip-tests"} or not report["cuda"]
    if report["cuda"]:
        assert report["fused_cuda"]["pairs_per_s"] > 0
        assert report["agreement_costs"]["ok"] and report["agreement_evaluate"]["ok"]
        assert set(report["evaluate_cuda"]["seconds"]) >= {"FRDist", "FRCorr"}
    else:
        assert report["gpu_tests"] == {"skipped": "no CUDA device"}
        assert report["interpreter"]["ok"] is True
        assert report["interpreter"]["max_rel_err_vs_numba"] <= 1e-12
        for part in ("fused_cuda", "torch_cuda", "agreement_costs", "agreement_evaluate", "evaluate_cuda"):
            assert report[part] == {"skipped": "no CUDA device"}
