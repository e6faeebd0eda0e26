"""Real runs of every baseline scored with react_bench.metrics: ordering, re-scoring, tables from runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.data import ReactDataset
from react_bench.metrics.evaluate import evaluate
from react_bench.runner import run_submission

BASELINES = ("gt", "random", "mime", "meanseq", "meanfr", "oracle")


@pytest.fixture(scope="module")
def real_runs(synthetic_root, tmp_path_factory):
    """Run folder of each (baseline, track) on the small synthetic test split."""
    out = tmp_path_factory.mktemp("real-runs")
    paths = {}
    for track in ("offline", "online"):
        for name in BASELINES:
            paths[name, track] = run_submission(name, track=track, data=synthetic_root, out=out, progress=False)
    return out, paths


def metric(paths, name, track, key):
    return json.loads((paths[name, track] / "results.json").read_text())["metrics"][key]["value"]


@pytest.mark.parametrize("track", ["offline", "online"])
def test_ordering_makes_sense_on_synthetic_data(real_runs, track):
    _, paths = real_runs
    corr = {name: metric(paths, name, track, "FRCorr") for name in BASELINES}
    dist = {name: metric(paths, name, track, "FRDist") for name in BASELINES}
    assert max(corr, key=corr.get) == "gt", corr
    assert max(dist, key=dist.get) == "random", dist
    assert metric(paths, "meanseq", track, "FRDiv") == 0.0
    assert metric(paths, "meanfr", track, "FRDiv") == 0.0
    assert metric(paths, "random", track, "FRDiv") > 0.0 and metric(paths, "oracle", track, "FRDiv") > 0.0


@pytest.mark.parametrize("name", ["random", "oracle", "meanseq"])
def test_rescoring_saved_predictions_gives_the_run_numbers(real_runs, synthetic_root, name):
    _, paths = real_runs
    path = paths[name, "offline"]
    results = json.loads((path / "results.json").read_text())
    dataset = ReactDataset(synthetic_root, "test")
    again = evaluate(np.load(path / "predictions.npy"), dataset.targets(), dataset.emotion("speaker"),
                     dataset.appropriateness(), protocol=results["protocol"], per_speaker=True)
    for key, entry in results["metrics"].items():
        assert again[key] == entry["value"], key
    assert again["per_speaker"] == results["per_speaker"]


@pytest.mark.parametrize("track", ["offline", "online"])
def test_tables_and_plots_from_real_runs(real_runs, tmp_path, capsys, track):
    out, _ = real_runs
    assert main(["table", "--runs", str(out), "--track", track, "--plots", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    for name in BASELINES:
        assert f"| {name} |" in text or f"| {name} (reference) |" in text
    header = next(line for line in text.splitlines() if line.startswith("| submission"))
    for column in ("FRCorr ↑", "FRDist ↓", "FRDiv ↑", "FRVar ↑", "FRDvs ↑", "FRSyn ↓", "FRRea ↓"):
        assert column in header
    gt_row = next(line for line in text.splitlines() if line.startswith("| gt (reference) |"))
    assert "**" not in gt_row  # GT sees the answer: a reference, never marked best
    rows = [line for line in text.splitlines() if line.startswith("| ") and "(reference)" not in line
            and not line.startswith("| submission")]
    assert sum(line.split("|")[2].strip().startswith("**") for line in rows) >= 1  # a submission is best on FRCorr
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert f"appropriateness_vs_diversity_{track}.png" in pngs
    assert len(pngs) == 1 + len(BASELINES)


def test_evaluate_command_on_saved_predictions_gives_the_run_numbers(real_runs, synthetic_root, tmp_path):
    _, paths = real_runs
    path = paths["oracle", "offline"]
    out = tmp_path / "evaluated.json"
    assert main(["evaluate", "--preds", str(path / "predictions.npy"), "--data", str(synthetic_root),
                 "--out", str(out)]) == 0
    evaluated = json.loads(out.read_text())["metrics"]
    assert evaluated == json.loads((path / "results.json").read_text())["metrics"]
