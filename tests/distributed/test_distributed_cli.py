"""``react-bench evaluate`` under torchrun (2 gloo ranks) writes the results a single process writes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import torchrun

from react_bench.cli.main import main
from react_bench.data import ReactDataset

ACROSS_SPEAKERS = {"FRDvs", "FRRea"}
"""Computed from statistics summed per rank, then across ranks: equal to rounding (see docs/metrics.md)."""
FRREA_REL = 1e-7
"""The synthetic targets' window features have a singular covariance (constant features): the sqrt of
its rounding-level eigenvalues makes FRRea move by up to 7e-9 relative on these inputs when one
process merely reorders the speakers (measured over 12 permutations), so no summation order can do better."""


def test_evaluate_command_under_torchrun_writes_the_single_process_results(synthetic_root, tmp_path, capsys):
    split = ReactDataset(synthetic_root, "test")
    targets = split.emotion("listener")
    rng = np.random.default_rng(132)
    preds = np.repeat(targets[:, None], 3, axis=1) + rng.normal(0, 0.05, size=(len(split), 3, *targets.shape[1:]))
    path = tmp_path / "preds.npy"
    np.save(path, preds.astype(np.float32))
    args = ["evaluate", "--preds", str(path), "--data", str(synthetic_root), "--split", "test",
            "--protocol", "corrected", "--device", "cpu"]

    assert main([*args, "--out", str(tmp_path / "single.json")]) == 0
    capsys.readouterr()
    done = torchrun(["-m", "react_bench.cli.main", *args, "--out", str(tmp_path / "dist.json")])

    assert done.stdout.count("protocol corrected, split test") == 1  # only rank 0 prints the table
    assert done.stderr.count("wrote ") == 1  # ... and writes
    single = json.loads((tmp_path / "single.json").read_text())
    dist = json.loads((tmp_path / "dist.json").read_text())
    assert set(dist["metrics"]) == set(single["metrics"]) and len(single["metrics"]) == 9
    for name, entry in single["metrics"].items():
        got = dist["metrics"][name]
        if name in ACROSS_SPEAKERS:
            rel = FRREA_REL if name == "FRRea" else 1e-12
            assert got["value"] == pytest.approx(entry["value"], rel=rel, abs=0), name
            assert got["direction"] == entry["direction"]
        else:
            assert got == entry, name
    assert set(dist["per_speaker"]) == set(single["per_speaker"])
    for name, values in single["per_speaker"].items():
        np.testing.assert_allclose(dist["per_speaker"][name], values, rtol=1e-12 if name in ACROSS_SPEAKERS else 0,
                                   atol=0, err_msg=name)
    for key in ("protocol", "split", "frrea_feature_space", "predictions", "sizes", "dataset"):
        assert dist[key] == single[key], key
