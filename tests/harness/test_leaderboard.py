"""Leaderboard tables from handmade results files: best marked, CIs, arrows, latest run per submission."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from react_bench.cli.main import main
from react_bench.leaderboard import bootstrap_ci, build_tables, latest_runs, load_results, render, summarize

FINGERPRINT = "f" * 64


def record(name, *, corr, dist, date="2026-01-01T00:00:00+00:00", track="offline", frrea=None):
    """A minimal results.json with per-speaker FRCorr and FRDist."""
    corr, dist = np.asarray(corr, float), np.asarray(dist, float)
    metrics = {"FRCorr": {"value": corr.mean(), "direction": "higher"},
               "FRDist": {"value": dist.mean(), "direction": "lower"}}
    if frrea is not None:
        metrics["FRRea"] = {"value": frrea, "direction": "lower"}
    return {
        "schema": "react-bench/results/2",
        "submission": {"name": name},
        "track": track, "split": "test", "protocol": "react2024", "frrea_feature_space": "test-space-v1",
        "metrics": metrics,
        "per_speaker": {"FRCorr": corr.tolist(), "FRDist": dist.tolist()},
        "online": {"latency_ms": {"mean": 1.0, "p95": 2.0, "max": 3.0}, "real_time_factor": 0.01} if track == "online" else None,
        "dataset": {"fingerprint": FINGERPRINT, "is_synthetic": True, "root": "/nowhere"},
        "provenance": {"date": date},
    }


@pytest.fixture
def runs(tmp_path):
    entries = {
        "a/offline/test/1": record("a", corr=[1.0, 2.0, 3.0, 4.0], dist=[5.0, 5.0, 6.0, 6.0], frrea=3.0),
        "b/offline/test/1": record("b", corr=[0.0, 0.5, 1.0, 0.5], dist=[1.0, 2.0, 1.0, 2.0], frrea=1.0),
        # an older run of "b" that must be ignored (it would be best on FRCorr)
        "b/offline/test/0": record("b", corr=[9.0] * 4, dist=[9.0] * 4, date="2025-01-01T00:00:00+00:00"),
        "a/online/test/1": record("a", corr=[1.0] * 4, dist=[1.0] * 4, track="online"),
    }
    for folder, entry in entries.items():
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "results.json").write_text(json.dumps(entry))
    return tmp_path


def test_latest_run_per_submission(runs):
    latest = latest_runs(load_results(runs), track="offline")
    assert [r["submission"]["name"] for r in latest] == ["a", "b"]
    assert latest[1]["metrics"]["FRCorr"]["value"] == 0.5


def test_markdown_marks_best_with_arrows_and_cis(runs, capsys):
    assert main(["table", "--runs", str(runs)]) == 0
    text = capsys.readouterr().out
    assert "| submission | FRCorr ↑ | FRDist ↓ | FRRea ↓ |" in text
    assert "protocol `react2024`" in text and f"`{FINGERPRINT[:16]}`" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| a ") or line.startswith("| b ")}
    low, high = bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    assert f"**2.5 [{low:.4g}, {high:.4g}]**" in rows["a"]  # a is best on FRCorr (higher)
    assert "**1.5 [" in rows["b"]  # b is best on FRDist (lower)
    assert "| **1** |" in rows["b"] and "| 3 |" in rows["a"]  # FRRea: no CI, lower is best


def test_csv_stars_the_best(runs, capsys):
    assert main(["table", "--runs", str(runs), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_name = {row["submission"]: row for row in rows}
    assert by_name["a"]["FRCorr ↑"] == "2.5*" and by_name["b"]["FRCorr ↑"] == "0.5"
    assert by_name["b"]["FRDist ↓"] == "1.5*"
    assert float(by_name["a"]["FRCorr ci_low"]) < 2.5 < float(by_name["a"]["FRCorr ci_high"])
    assert by_name["a"]["FRRea ci_low"] == ""


def test_html_marks_the_best_and_writes_atomically(runs, tmp_path):
    out = tmp_path / "board.html"
    assert main(["table", "--runs", str(runs), "--format", "html", "--out", str(out)]) == 0
    text = out.read_text()
    assert '<th data-name="FRCorr">FRCorr ↑</th>' in text
    assert '<td data-sort="2.5" class="best"><span class="v">2.5</span>' in text


def test_online_table_has_latency_and_rtf(runs, capsys):
    assert main(["table", "--runs", str(runs), "--track", "online"]) == 0
    text = capsys.readouterr().out
    assert "latency p95 ms ↓" in text and "RTF ↓" in text


def test_no_results_is_an_error(tmp_path, capsys):
    assert main(["table", "--runs", str(tmp_path)]) == 2
    assert "no results for track 'offline'" in capsys.readouterr().err
    assert main(["table", "--runs", str(tmp_path / "missing")]) == 2


def test_ci_only_when_per_speaker_values_reproduce_the_value():
    entry = record("a", corr=[1.0, 3.0], dist=[1.0, 1.0])
    assert summarize(entry, "FRCorr")[1] is not None
    entry["metrics"]["FRCorr"]["value"] = 7.0  # not the mean of the per-speaker values
    assert summarize(entry, "FRCorr") == (7.0, None)


def test_bootstrap_matches_a_plain_loop():
    values = np.array([0.3, 1.2, -0.4, 2.2, 0.9])
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 5, size=(1000, 5))
    means = [sum(values[i] for i in row) / 5 for row in idx]
    assert bootstrap_ci(values) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30))
def test_bootstrap_interval_is_ordered_and_within_the_values(values):
    low, high = bootstrap_ci(values)
    assert min(values) - 1e-9 <= low <= high <= max(values) + 1e-9


def test_render_rejects_unknown_format(runs):
    tables = build_tables(latest_runs(load_results(runs), track="offline"), track="offline")
    with pytest.raises(ValueError, match="format must be one of md, csv, html; got 'tex'"):
        render(tables, fmt="tex")
