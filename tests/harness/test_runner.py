"""run_submission mechanics (scored with a fake metric): the run folder, the record, the cache, the seeds."""

from __future__ import annotations

import json

import numpy as np

from harness_helpers import fake_evaluate
from react_bench.data import ReactDataset
from react_bench.runner import run_submission
from react_bench.runner.run import batch_seed
from react_bench.submissions import get_submission



def run(name, root, out, **options):
    options.setdefault("batch_size", 4)
    return run_submission(name, data=root, out=out, progress=False, scorer=fake_evaluate, **options)


def test_run_writes_predictions_and_a_complete_record(synthetic_root, tmp_path):
    path = run("mime", synthetic_root, tmp_path / "runs")
    assert path.parent == tmp_path / "runs" / "mime" / "offline" / "test"
    assert sorted(p.name for p in path.iterdir()) == ["predictions.npy", "predictions_3dmm.npy", "results.json"]
    dataset = ReactDataset(synthetic_root, "test")
    preds = np.load(path / "predictions.npy")
    assert preds.shape == (len(dataset), 10, 750, 25)
    np.testing.assert_array_equal(preds[:, 3], dataset.emotion("speaker"))
    results = json.loads((path / "results.json").read_text())
    assert results["metrics"]["FRDist"]["direction"] == "lower"
    assert len(results["per_speaker"]["FRDist"]) == len(dataset)
    assert results["dataset"]["fingerprint"] == dataset.scoring_fingerprint
    assert results["dataset"]["data_fingerprint"] == dataset.fingerprint
    assert results["dataset"]["appropriateness_sha256"] == dataset.appropriateness_sha256
    assert results["config"]["seed"] == 0 and results["config"]["batch_size"] == 4
    assert results["seeds"]["batch_seeds"] == [batch_seed(0, 0), batch_seed(0, 1)]
    assert results["provenance"]["react_bench_version"]
    assert "git_hash" in results["provenance"]
    assert results["protocol"] == "react2024" and results["track"] == "offline"
    assert results["timings"]["evaluate_s"] >= 0


def test_same_seed_same_numbers_other_seed_other_numbers(synthetic_root, tmp_path):
    a = np.load(run("random", synthetic_root, tmp_path / "a", seed=5) / "predictions.npy")
    b = np.load(run("random", synthetic_root, tmp_path / "b", seed=5) / "predictions.npy")
    c = np.load(run("random", synthetic_root, tmp_path / "c", seed=6) / "predictions.npy")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_batches_draw_independent_numbers(synthetic_root, tmp_path):
    preds = np.load(run("random", synthetic_root, tmp_path / "runs", batch_size=3) / "predictions.npy")
    assert not np.array_equal(preds[0], preds[3])  # batch 0 and batch 1 start from different seeds


def test_fit_is_cached_per_dataset_and_seed(synthetic_root, tmp_path, monkeypatch):
    calls = []
    cls = get_submission("meanseq")
    original = cls.fit
    monkeypatch.setattr(cls, "fit", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    first = run("meanseq", synthetic_root, tmp_path / "runs")
    second = run("meanseq", synthetic_root, tmp_path / "runs")
    assert len(calls) == 1
    assert json.loads((second / "results.json").read_text())["submission"]["fit"]["loaded"] is True
    np.testing.assert_array_equal(np.load(first / "predictions.npy"), np.load(second / "predictions.npy"))
    run("meanseq", synthetic_root, tmp_path / "runs", seed=1)
    assert len(calls) == 2
    assert len(list((tmp_path / "runs" / "meanseq" / "checkpoints").glob("*.pt"))) == 2


def test_a_finished_command_run_again_makes_a_new_run(synthetic_root, tmp_path):
    first = run("mime", synthetic_root, tmp_path / "runs")
    second = run("mime", synthetic_root, tmp_path / "runs")
    assert first != second and (first / "results.json").exists() and (second / "results.json").exists()


def test_a_changed_effective_config_refits(synthetic_root, tmp_path, monkeypatch):
    # The cache key is the submission's effective configuration (fit_config), not only the options
    # passed on the command line: a changed default must not load a stale checkpoint.
    calls = []
    cls = get_submission("meanseq")
    original = cls.fit
    monkeypatch.setattr(cls, "fit", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    run("meanseq", synthetic_root, tmp_path / "runs")
    monkeypatch.setattr(cls, "fit_config", lambda self: {"default_changed": True})
    run("meanseq", synthetic_root, tmp_path / "runs")
    assert len(calls) == 2


def test_a_run_under_an_alias_is_recorded_under_the_registered_name(synthetic_root, tmp_path):
    from react_bench.baselines.naive import Mime
    from react_bench.submissions import register_submission

    @register_submission("test-renamed", aliases=("test-old-name",))
    class Renamed(Mime):
        """Mime under a new name, registered with its old name as an alias."""

    path = run("test-old-name", synthetic_root, tmp_path / "runs")
    assert path.parent == tmp_path / "runs" / "test-renamed" / "offline" / "test"
    assert json.loads((path / "results.json").read_text())["submission"]["name"] == "test-renamed"
