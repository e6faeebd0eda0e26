"""``react-bench evaluate`` end to end on the small synthetic dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.data import ReactDataset
from react_bench.metrics import evaluate
from react_bench.metrics.smoothness import window_jump_ratio
from react_bench.utils import sha256_file


@pytest.fixture(scope="module")
def test_split(synthetic_root):
    return ReactDataset(synthetic_root, "test")


def test_evaluate_command_writes_results(synthetic_root, test_split, tmp_path, capsys):
    targets = test_split.emotion("listener")
    rng = np.random.default_rng(70)
    preds = np.repeat(targets[:, None], 10, axis=1) + rng.normal(0, 0.05, size=(len(test_split), 10, *targets.shape[1:]))
    path = tmp_path / "preds.npy"
    np.save(path, preds.astype(np.float32))
    out = tmp_path / "results.json"
    code = main(["evaluate", "--preds", str(path), "--data", str(synthetic_root), "--split", "test",
                 "--protocol", "corrected", "--out", str(out)])
    assert code == 0
    table = capsys.readouterr().out
    assert "FRCorr" in table and "FRSyn" in table and "corrected" in table
    record = json.loads(out.read_text())
    want = evaluate(preds.astype(np.float32), test_split.targets(), test_split.emotion("speaker"), test_split.appropriateness(),
                    protocol="corrected")
    assert set(record["metrics"]) == {name for name in want if name[:2] == "FR" and want[name] is not None}
    for name, entry in record["metrics"].items():
        assert entry["value"] == pytest.approx(want[name], rel=1e-12), name
    assert record["metrics"]["FRDist"]["direction"] == "lower"
    assert record["metrics"]["FRCorr_per_gen"]["direction"] == "higher"
    assert record["schema"] == "react-bench/results/2" and record["split"] == "test"
    assert record["protocol"] == "corrected"
    assert record["dataset"]["fingerprint"] == test_split.scoring_fingerprint
    assert record["dataset"]["appropriateness_sha256"] == test_split.appropriateness_sha256
    assert record["predictions"]["sha256"] == sha256_file(path)
    assert "react_bench_version" in record["provenance"]
    # the same diagnostics as a runner's record: the window-join ratio of these predictions and of the real listeners
    assert record["diagnostics"]["window_jump_ratio"] == pytest.approx(window_jump_ratio(preds.astype(np.float32)), rel=1e-9)
    assert record["diagnostics"]["reference_window_jump_ratio"] == pytest.approx(
        window_jump_ratio(test_split.targets()[:, None]), rel=1e-9)


def test_evaluate_command_names_the_expected_shape(synthetic_root, test_split, tmp_path, capsys):
    path = tmp_path / "bad.npy"
    np.save(path, np.zeros((len(test_split) - 1, 10, 750, 25), dtype=np.float32))
    code = main(["evaluate", "--preds", str(path), "--data", str(synthetic_root), "--split", "test"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"has shape ({len(test_split) - 1}, 10, 750, 25); expected ({len(test_split)}, G, T, 25)" in err
    assert not list(tmp_path.glob("*.json"))
