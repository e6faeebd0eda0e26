"""The metric table is the one place a metric is declared; evaluate validates its inputs exactly once."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import react_bench.metrics.checks as checks
from react_bench.metrics import METRIC_DIRECTIONS, METRIC_SPECS, METRICS, evaluate, fr_rea, frechet_distance
from react_bench.metrics.spec import ARROWS, metric_spec

PACKAGE = Path(__file__).resolve().parents[2] / "react_bench"


def test_the_seven_official_metrics_in_table_order():
    assert METRICS == ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea")
    assert list(METRIC_DIRECTIONS) == [spec.name for spec in METRIC_SPECS]
    assert {spec.direction for spec in METRIC_SPECS} <= set(ARROWS)
    assert metric_spec("FREnergy").official is False and metric_spec("FREnergy").direction == "lower"
    with pytest.raises(KeyError, match="unknown metric 'FRFoo'; available: FRCorr"):
        metric_spec("FRFoo")


def test_each_direction_is_declared_in_one_place():
    # A metric's name next to a direction word ("FRDist": "lower", MetricSpec("FRDist", "lower", ...))
    # may appear only in the metric table.
    pattern = re.compile(r"""["'](FR[A-Za-z_]+)["']\s*[:,]\s*["'](higher|lower)["']""")
    found = Counter()
    for path in PACKAGE.rglob("*.py"):
        for name, _ in pattern.findall(path.read_text()):
            found[(name, path.relative_to(PACKAGE).as_posix())] += 1
    places = {}
    for (name, where), count in found.items():
        places.setdefault(name, []).append((where, count))
    assert set(places) == set(METRIC_DIRECTIONS)
    for name, where in places.items():
        assert where == [("metrics/spec.py", 1)], (name, where)


@pytest.fixture
def counted_checks(monkeypatch):
    """Wrap every public check of metrics/checks.py, wherever it was imported, and count its calls."""
    calls = Counter()
    for name in checks.__all__:
        original = getattr(checks, name)
        if not callable(original) or isinstance(original, type):
            continue

        def counting(*args, __original=original, __name=name, **kwargs):
            calls[__name] += 1
            return __original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("react_bench") and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, counting)
    return calls


def test_evaluate_validates_each_input_once(counted_checks):
    rng = np.random.default_rng(1)
    preds, targets = rng.random((4, 3, 60, 25)), rng.random((5, 60, 25))
    speaker = rng.random((4, 60, 25))
    appropriate = np.eye(4, 5)
    evaluate(preds, targets, speaker, appropriate)
    assert counted_checks["check_metric_inputs"] == 1
    assert counted_checks["check_preds"] == 1
    assert counted_checks["check_appropriate"] == 1
    assert counted_checks["check_speaker"] == 1
    # one sequence check each for targets and speaker, one finiteness check per array (3 + the matrix)
    assert counted_checks["check_sequences"] == 2
    assert counted_checks["check_finite"] == 4


def test_a_public_metric_checks_once(counted_checks):
    from react_bench.metrics import fr_dist

    rng = np.random.default_rng(2)
    fr_dist(rng.random((2, 2, 20, 25)), rng.random((3, 20, 25)), np.eye(2, 3))
    assert counted_checks["check_preds"] == 1 and counted_checks["check_sequences"] == 1
    assert counted_checks["check_appropriate"] == 1


def test_metrics_subset_and_unknown_metric():
    rng = np.random.default_rng(3)
    preds, targets, speaker = rng.random((3, 2, 60, 25)), rng.random((3, 60, 25)), rng.random((3, 60, 25))
    result = evaluate(preds, targets, speaker, np.eye(3), metrics=("FRDiv",))
    assert [k for k in result if k.startswith("FR")] == ["FRDiv"]
    corrected = evaluate(preds, targets, speaker, np.eye(3), protocol="corrected", metrics=("FRCorr_per_gen",))
    assert corrected["FRCorr_per_gen"] == pytest.approx(corrected["FRCorr"] / 2, rel=1e-15)
    with pytest.raises(KeyError, match="unknown metric.*'FRCorr_per_gen'.*react2024"):
        evaluate(preds, targets, speaker, np.eye(3), metrics=("FRCorr_per_gen",))


def test_speaker_shape_message_names_speaker_axis():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match=r"speaker must be \(N, T, 25\) speaker emotion sequences; got shape \(60, 25\)"):
        evaluate(rng.random((2, 1, 60, 25)), rng.random((2, 60, 25)), rng.random((60, 25)), np.eye(2))


# --- fault 7: a Frechet distance is never negative -------------------------------------------------


def test_frechet_of_identical_sets_is_not_negative():
    # Before the clamp these gave -8.9e-16 and -5.5e-09 (GT's FRRea in the leaderboard: -1.985e-10).
    x = torch.rand(40, 25, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert 0.0 <= frechet_distance(x, x) < 1e-12
    seqs = torch.rand(6, 1, 100, 25, generator=torch.Generator().manual_seed(0))
    assert 0.0 <= fr_rea(seqs, seqs[:, 0]) < 1e-6


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 12), d=st.integers(1, 6), seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e3))
def test_frechet_distance_is_never_negative(n, d, seed, scale):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, d, generator=g, dtype=torch.float64) * scale
    assert frechet_distance(a, a) >= 0.0
    assert frechet_distance(a, a + 1e-9 * torch.randn(n, d, generator=g, dtype=torch.float64)) >= 0.0
