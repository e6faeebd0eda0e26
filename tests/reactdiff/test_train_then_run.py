"""``react-bench train reactdiff`` makes the checkpoint that ``react-bench run reactdiff`` then loads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.results import read_results
from react_bench.runner.checkpoint import load_checkpoint

from reactdiff_helpers import TINY


def _set_options() -> list[str]:
    argv = []
    for key, value in TINY.items():
        argv += ["--set", f"{key}={json.dumps(value)}"]
    return argv


@pytest.fixture
def fit_calls(monkeypatch) -> list:
    """A list that grows by one each time any ReactDiffSubmission is fitted (the fit itself still runs)."""
    calls = []
    original = ReactDiffSubmission.fit
    monkeypatch.setattr(ReactDiffSubmission, "fit", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return calls


def test_train_then_run_loads_the_trained_checkpoint(synthetic_root, tmp_path, fit_calls, capsys):
    out, common = tmp_path / "runs", ["--data", str(synthetic_root), "--seed", "1", *_set_options()]
    assert main(["train", "reactdiff", "--config", "small", "--out", str(out), *common]) == 0
    checkpoint = capsys.readouterr().out.strip().split("checkpoint ")[-1]
    assert fit_calls == [1]
    # `run` without --config: the same effective configuration (small is the default preset), the same key
    assert main(["run", "reactdiff", "--out", str(out), "--quiet", *common]) == 0
    assert fit_calls == [1], "run fitted again instead of loading the trained checkpoint"
    record = read_results(next(out.rglob("results.json")))
    assert record["submission"]["fit"]["loaded"] is True and record["submission"]["fit"]["checkpoint"] == checkpoint
    rebuilt = load_checkpoint(checkpoint)
    assert isinstance(rebuilt, ReactDiffSubmission) and rebuilt.model_config.d_model == TINY["d_model"]


def test_an_unknown_preset_is_a_user_error(capsys):
    assert main(["train", "reactdiff", "--config", "huge"]) == 2
    assert "unknown ReactDiff preset 'huge'; available: small, paper, paper-exact" in capsys.readouterr().err
    with pytest.raises(KeyError):
        ReactDiffSubmission(preset="huge")


def test_a_sampling_option_resamples_the_cached_fit(synthetic_root, tmp_path, fit_calls):
    # temperature, guidance, eta and DDIM steps only change sampling: a run that sets one loads the fit
    # of the default run, records and uses its own value, and so generates other reactions
    out, common = tmp_path / "runs", ["--data", str(synthetic_root), "--quiet", *_set_options()]
    assert main(["run", "reactdiff", "--out", str(out), *common]) == 0
    assert main(["run", "reactdiff", "--out", str(out), *common, "--set", "temperature=0.25",
                 "--set", "inference_steps=3"]) == 0
    assert fit_calls == [1], "a sampling option made the runner fit again"
    default, changed = sorted(out.rglob("results.json"), key=lambda p: read_results(p)["submission"]["fit"]["loaded"])
    records = read_results(default), read_results(changed)
    assert records[1]["submission"]["fit"]["loaded"] is True
    assert records[1]["submission"]["fit"]["checkpoint"] == records[0]["submission"]["fit"]["checkpoint"]
    assert records[1]["submission"]["effective_config"]["temperature"] == 0.25
    assert records[1]["submission"]["effective_config"]["inference_steps"] == 3
    assert records[0]["submission"]["effective_config"]["temperature"] == ReactDiffSubmission().model_config.temperature
    first, second = (np.load(p.parent / "predictions.npy") for p in (default, changed))
    assert first.shape == second.shape and not np.allclose(first, second)


def test_an_option_that_changes_the_fit_still_refits(synthetic_root, tmp_path, fit_calls):
    out, common = tmp_path / "runs", ["--data", str(synthetic_root), "--quiet", *_set_options()]
    assert main(["run", "reactdiff", "--out", str(out), *common]) == 0
    assert main(["run", "reactdiff", "--out", str(out), *common, "--set", "cond_drop_prob=0.3"]) == 0
    assert fit_calls == [1, 1]
