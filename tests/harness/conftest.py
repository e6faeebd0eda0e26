"""Fixtures of the harness tests: a fake metric for the runner mechanics, the test submissions."""

from __future__ import annotations

import pytest

import react_bench.runner.run as run_module
import harness_helpers as helpers  # registers the test submissions


@pytest.fixture
def fake_metrics(monkeypatch):
    """Score runs with :func:`helpers.fake_evaluate` (fast; for tests of the runner, not of the numbers)."""
    monkeypatch.setattr(run_module, "_evaluate", helpers.fake_evaluate)
    monkeypatch.setattr(run_module, "_directions", lambda: dict(helpers.FAKE_DIRECTIONS))
