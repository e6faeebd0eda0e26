"""``react-bench run`` under torchrun (2 gloo ranks): batches shared out, the same predictions and results."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import torchrun

from react_bench.cli.main import main
from react_bench.results import read_results

FRREA_REL = 1e-7
"""FRRea is summed per rank, then across ranks (see test_distributed_cli.FRREA_REL for its bound); every
other metric agrees to the last bit or within 1e-12 relative (FREnergy's block sums of a rank's share of
speakers can round differently in the last bit)."""


@pytest.mark.parametrize("name", ["random", "meanseq"])
def test_run_under_torchrun_equals_one_process(synthetic_root, tmp_path, capsys, name):
    args = ["run", name, "--data", str(synthetic_root), "--batch-size", "2", "--quiet", "--seed", "5"]
    assert main([*args, "--out", str(tmp_path / "single")]) == 0
    capsys.readouterr()
    done = torchrun(["-m", "react_bench.cli.main", *args, "--out", str(tmp_path / "dist")])
    assert done.stdout.count("results.json") == 1  # rank 0 alone reports (and refreshes the leaderboard)
    (single,) = (tmp_path / "single").rglob("results.json")
    (dist,) = (tmp_path / "dist").rglob("results.json")  # one run folder, shared by the ranks
    np.testing.assert_array_equal(np.load(dist.parent / "predictions.npy"), np.load(single.parent / "predictions.npy"))
    a, b = read_results(single), read_results(dist)
    assert a["seeds"] == b["seeds"]
    assert set(a["metrics"]) == set(b["metrics"])
    for metric, entry in a["metrics"].items():
        rel = FRREA_REL if metric == "FRRea" else 1e-12
        assert b["metrics"][metric]["value"] == pytest.approx(entry["value"], rel=rel, abs=0), metric
    assert not list((tmp_path / "dist").rglob("in-progress.json"))  # finished: marker and shards removed
