"""Both layouts end to end: REACT2024 scored from emotion files alone, and MARS (REACT2025/2026) synthetic data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.data import ReactDataset
from react_bench.data.layout import open_dataset
from react_bench.data.mars import MarsDataset, mars_file
from react_bench.results import read_results


def _copy(src, dst, *patterns):
    for pattern in patterns:
        for path in src.glob(pattern):
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)


def test_evaluate_needs_only_the_emotion_files_the_split_list_and_the_matrix(synthetic_root, tmp_path, capsys):
    full, emotion_only = tmp_path / "full", tmp_path / "emotion-only"
    # A "real" tree (no synthetic marker, so no extra reactions) with an official per-split matrix file.
    _copy(synthetic_root, full, "*.csv", "test/Emotion", "test/3D_FV_files", "test/Audio_files")
    matrix = ReactDataset(full, "test").appropriateness()
    np.save(full / "neighbour_emotion_test.npy", matrix.astype(np.float64))
    _copy(full, emotion_only, "test.csv", "test/Emotion", "neighbour_emotion_test.npy")
    assert not (emotion_only / "test" / "Audio_files").exists()
    preds = np.repeat(ReactDataset(full, "test").emotion("speaker")[:, None], 10, axis=1)
    np.save(tmp_path / "p.npy", preds)
    records = []
    for root in (full, emotion_only):
        out = tmp_path / f"{root.name}.json"
        assert main(["evaluate", "--preds", str(tmp_path / "p.npy"), "--data", str(root), "--out", str(out)]) == 0
        records.append(read_results(out))
    assert records[0]["metrics"] == records[1]["metrics"]
    assert records[0]["dataset"]["fingerprint"] == records[1]["dataset"]["fingerprint"]
    assert records[1]["dataset"]["appropriateness_source"] == "official-file"


@pytest.fixture(scope="module")
def mars_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mars") / "synthetic-mars"
    assert main(["data", "synth", "--layout", "mars", "--size", "small", "--edition", "2026", "--out", str(root)]) == 0
    return root


def test_mars_synthetic_tree_is_detected_and_checks_clean(mars_root, capsys):
    assert isinstance(open_dataset(mars_root, "test"), MarsDataset)
    capsys.readouterr()
    assert main(["data", "check", str(mars_root)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_run_and_evaluate_on_the_mars_layout(mars_root, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["run", "mime", "--data", str(mars_root), "--out", str(runs), "--quiet"]) == 0
    run = read_results(next(runs.rglob("results.json")))
    ds = MarsDataset(mars_root, "test")
    assert run["dataset"]["layout"] == "mars" and run["dataset"]["num_samples"] == len(ds)
    assert run["dataset"]["appropriateness_source"] == "mars-test-draw"
    predictions = next(runs.rglob("predictions.npy"))
    assert main(["evaluate", "--preds", str(predictions), "--data", str(mars_root), "--name", "mime-again",
                 "--runs", str(runs)]) == 0
    evaluated = read_results(next((runs / "mime-again").rglob("results.json")))
    assert evaluated["metrics"] == run["metrics"]
    capsys.readouterr()
    assert main(["table", "--runs", str(runs)]) == 0
    table = capsys.readouterr().out
    assert "| mime |" in table and "| mime-again |" in table and "`mars-test-draw`" in table


def test_data_check_names_a_planted_fault_in_a_mars_tree(mars_root, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(mars_root, broken)
    ds = MarsDataset(broken, "val")
    clip = ds.clip_path(0, "listener")
    path = mars_file(broken, "val", "emotion", clip)
    array = np.load(path)
    array[3, 16] = np.nan
    np.save(path, array)
    capsys.readouterr()
    assert main(["data", "check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "problem:" in out and str(path.relative_to(broken)) in out or str(path) in out
