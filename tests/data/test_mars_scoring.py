"""How a MARS-layout split is scored: its frame rate, its padding, and what its records say they follow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.data.mars import MarsDataset, write_mars_layout
from react_bench.metrics.protocols import (
    MARS_FOLLOWS_OFFICIAL,
    MARS_REACT_BENCH_CHOICES,
)
from react_bench.results import read_results


@pytest.fixture(scope="module")
def mars_root(synthetic_root, tmp_path_factory) -> Path:
    return write_mars_layout(synthetic_root, tmp_path_factory.mktemp("mars-scoring") / "small", edition="2025")


@pytest.fixture(scope="module")
def mime_run(mars_root, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    assert main(["run", "mime", "--data", str(mars_root), "--out", str(runs), "--quiet"]) == 0
    path = next(runs.rglob("results.json"))
    return runs, path, read_results(path)


def test_the_split_has_padded_windows(mars_root):
    ds = MarsDataset(mars_root, "test")
    assert ds.fps == 30
    assert (ds.valid_frames < ds.clip_frames).any()  # the synthetic clips end inside a window


def test_a_mars_run_records_fps_lags_padding_and_what_is_official(mars_root, mime_run):
    _, _, record = mime_run
    scoring = record["scoring"]
    ds = MarsDataset(mars_root, "test")
    assert (scoring["layout"], scoring["fps"], scoring["tlcc_max_lag"]) == ("mars", 30, 49)
    assert scoring["tlcc_lags"].startswith("official: -49..49")
    assert scoring["padding"] == "excluded"
    assert scoring["padded_samples"] == int((ds.valid_frames < ds.clip_frames).sum())
    assert scoring["official"] == "partial"
    assert scoring["follows_official"] == list(MARS_FOLLOWS_OFFICIAL)
    assert scoring["react_bench_choices"] == list(MARS_REACT_BENCH_CHOICES)
    assert "not the official REACT2025/2026 numbers" in scoring["caption"]


def test_padding_content_does_not_change_the_scores(mars_root, mime_run, tmp_path):
    _, path, record = mime_run
    ds = MarsDataset(mars_root, "test")
    preds = np.load(path.parent / "predictions.npy")
    rng = np.random.default_rng(0)
    for k, v in enumerate(ds.valid_frames):
        preds[k, :, v:] = rng.random(preds[k, :, v:].shape)  # junk where the clip has ended
    np.save(tmp_path / "junk.npy", preds)
    out = tmp_path / "junk.json"
    assert main(["evaluate", "--preds", str(tmp_path / "junk.npy"), "--data", str(mars_root), "--out", str(out)]) == 0
    junk = read_results(out)
    for name, entry in record["metrics"].items():
        assert junk["metrics"][name]["value"] == pytest.approx(entry["value"], rel=1e-9, abs=1e-12), name


def test_corrected_protocol_scales_the_lags_to_30_fps(mars_root, mime_run, tmp_path, capsys):
    _, path, _ = mime_run
    out = tmp_path / "corrected.json"
    assert main(["evaluate", "--preds", str(path.parent / "predictions.npy"), "--data", str(mars_root),
                 "--protocol", "corrected", "--no-rea", "--out", str(out)]) == 0
    scoring = read_results(out)["scoring"]
    assert (scoring["tlcc_max_lag"], scoring["tlcc_lags"]) == (59, "react-bench: -59..59 (about 2 s at 30 fps)")
    assert "FRSyn lags: react-bench: -59..59" in capsys.readouterr().out


def test_the_leaderboard_caption_says_what_a_mars_table_follows(mime_run, capsys):
    runs, _, _ = mime_run
    capsys.readouterr()
    assert main(["table", "--runs", str(runs)]) == 0
    assert "MARS layout: official pairing, windows, padding and draw" in capsys.readouterr().out
