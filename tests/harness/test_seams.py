"""The seams between the parts: results files, errors, checkpoints, damaged shards (issue 9's faults)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import react_bench.cli.list_cmd as list_cmd
from harness_helpers import CrashSwitch, fake_evaluate
from react_bench.cli.main import main
from react_bench.data import ReactDataset
from react_bench.errors import BadInputError, MissingDataError, ReactBenchError, UnknownNameError
from react_bench.leaderboard import build_tables, render
from react_bench.results import build_record, find_results, read_results, write_results
from react_bench.runner import run_submission
from react_bench.runner.checkpoint import load_checkpoint, read_checkpoint
from react_bench.submissions import get_submission


def _record(name, protocol, metrics, per_speaker):
    scores = {**metrics, "protocol": protocol, "per_speaker": per_speaker}
    dataset = {"fingerprint": "f" * 64, "appropriateness_sha256": "a" * 64, "is_synthetic": True}
    return build_record(submission={"name": name}, track="offline", split="test", scores=scores, dataset=dataset,
                        config={"protocol": protocol})


# --- fault 1: csv with several tables ----------------------------------------------------------------


def test_csv_of_several_tables_puts_each_value_under_its_own_header():
    # The corrected table sorts first and has FRDist; the react2024 one lacks it. Indexing cells by
    # position put a's FRDiv under the FRDist header.
    official = _record("a", "react2024", {"FRCorr": 1.0, "FRDiv": 0.25}, {"FRCorr": [1.0, 1.0], "FRDiv": [0.25] * 2})
    corrected = _record("b", "corrected", {"FRCorr": 2.0, "FRCorr_per_gen": 0.2, "FRDiv": 0.5, "FRDist": 40.0},
                        {"FRCorr": [2.0] * 2, "FRCorr_per_gen": [0.2] * 2, "FRDiv": [0.5] * 2, "FRDist": [40.0] * 2})
    tables = build_tables([official, corrected], track="offline")
    assert len(tables) == 2 and [c.name for c in tables[0].columns] != [c.name for c in tables[1].columns]
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(render(tables, fmt="csv")))}
    assert rows["a"]["FRDist ↓"] == "" and float(rows["a"]["FRDiv ↑"].rstrip("*")) == 0.25
    assert float(rows["b"]["FRDist ↓"].rstrip("*")) == 40.0
    assert float(rows["b"]["FRDiv ↑"].rstrip("*")) == 0.5
    assert float(rows["b"]["FRCorr_per_gen ↑"].rstrip("*")) == 0.2 and rows["a"]["FRCorr_per_gen ↑"] == ""


# --- fault 2: a bug is not a user error ----------------------------------------------------------------


def test_a_bug_keeps_its_traceback(monkeypatch):
    def broken(args):
        return {}["no such key"]  # a bug inside a command: KeyError

    monkeypatch.setattr(list_cmd, "_list", broken)
    with pytest.raises(KeyError, match="no such key"):
        main(["list"])


def test_a_user_error_is_one_line_and_exit_2(monkeypatch, capsys):
    def bad(args):
        raise BadInputError("the thing is wrong; do this instead")

    monkeypatch.setattr(list_cmd, "_list", bad)
    assert main(["list"]) == 2
    assert capsys.readouterr().err == "error: the thing is wrong; do this instead\n"


def test_the_error_family():
    for cls, builtin in ((BadInputError, ValueError), (MissingDataError, FileNotFoundError), (UnknownNameError, KeyError)):
        assert issubclass(cls, ReactBenchError) and issubclass(cls, builtin)
    with pytest.raises(UnknownNameError):
        get_submission("no-such-submission")


# --- fault 3: train then run uses the trained checkpoint ---------------------------------------------------


def test_train_then_run_loads_the_trained_checkpoint(synthetic_root, tmp_path, monkeypatch, capsys):
    calls = []
    cls = get_submission("meanseq")
    original = cls.fit
    monkeypatch.setattr(cls, "fit", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    out = tmp_path / "runs"
    assert main(["train", "meanseq", "--data", str(synthetic_root), "--out", str(out), "--seed", "3"]) == 0
    assert len(calls) == 1
    checkpoint = capsys.readouterr().out.split("checkpoint ")[-1].strip()
    assert main(["run", "meanseq", "--data", str(synthetic_root), "--out", str(out), "--seed", "3", "--quiet"]) == 0
    assert len(calls) == 1  # no second fit
    record = read_results(next(out.rglob("results.json")))
    assert record["submission"]["fit"] == {**record["submission"]["fit"], "loaded": True, "checkpoint": checkpoint}
    # the checkpoint rebuilds its submission from the file alone
    state = read_checkpoint(checkpoint)
    assert state["name"] == "meanseq" and state["seed"] == 3
    rebuilt = load_checkpoint(checkpoint)
    assert type(rebuilt) is cls
    for key, value in state["state_dict"].items():
        np.testing.assert_array_equal(np.asarray(rebuilt.state_dict()[key]), np.asarray(value))


def test_train_refuses_a_submission_that_learns_nothing(synthetic_root, tmp_path, capsys):
    assert main(["train", "mime", "--data", str(synthetic_root), "--out", str(tmp_path)]) == 2
    assert "learns nothing" in capsys.readouterr().err


# --- fault 5: a damaged shard is regenerated --------------------------------------------------------------


def test_a_damaged_shard_is_discarded_and_regenerated(synthetic_root, tmp_path, monkeypatch, capsys):
    options = dict(data=synthetic_root, batch_size=1, progress=False, scorer=fake_evaluate)
    reference = run_submission("test-crash", out=tmp_path / "reference", **options)
    out = tmp_path / "runs"
    monkeypatch.setattr(CrashSwitch, "armed", True)
    monkeypatch.setattr(CrashSwitch, "after", 3)
    monkeypatch.setattr(CrashSwitch, "calls", 0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_submission("test-crash", out=out, **options)
    shards = sorted(out.rglob("batch-*.npz"))
    assert len(shards) == 3
    damaged = shards[1]
    damaged.write_bytes(damaged.read_bytes()[:100])  # truncated, as a failed copy or a full disk leaves it
    monkeypatch.setattr(CrashSwitch, "armed", False)
    capsys.readouterr()
    resumed = run_submission("test-crash", out=out, **options)
    err = capsys.readouterr().err
    assert f"discarding damaged shard {damaged}" in err and "will be generated again" in err
    np.testing.assert_array_equal(np.load(resumed / "predictions.npy"), np.load(reference / "predictions.npy"))
    assert read_results(resumed / "results.json")["metrics"] == read_results(reference / "results.json")["metrics"]


# --- fault 6: one unreadable results file ------------------------------------------------------------------


def test_table_names_an_unreadable_results_file_and_skips_it(tmp_path, capsys):
    good = _record("good", "react2024", {"FRCorr": 1.0}, {"FRCorr": [1.0, 1.0]})
    write_results(tmp_path / "good" / "offline" / "test" / "1", good)
    broken = tmp_path / "broken" / "offline" / "test" / "1" / "results.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"schema": "react-bench/results/2", ')  # truncated
    assert main(["table", "--runs", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "| good |" in captured.out and "broken" not in captured.out
    assert f"warning: skipped: results file {str(broken)!r} is not valid JSON" in captured.err
    warnings = []
    assert [r["submission"]["name"] for r in find_results(tmp_path, warn=warnings.append)] == ["good"]
    assert len(warnings) == 1 and str(broken) in warnings[0]


# --- evaluate writes a record that table lists ---------------------------------------------------------------


def test_evaluate_writes_a_record_that_table_lists(synthetic_root, tmp_path, capsys):
    ds = ReactDataset(synthetic_root, "test")
    preds = np.repeat(ds.emotion("speaker")[:, None], 10, axis=1)  # Mime, made "elsewhere"
    path = tmp_path / "my-model.npy"
    np.save(path, preds)
    runs = tmp_path / "runs"
    assert main(["evaluate", "--preds", str(path), "--data", str(synthetic_root), "--runs", str(runs)]) == 0
    assert main(["run", "mime", "--data", str(synthetic_root), "--out", str(runs), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["table", "--runs", str(runs)]) == 0
    table = capsys.readouterr().out
    assert "| my-model |" in table and "| mime |" in table
    evaluated = read_results(next((runs / "my-model").rglob("results.json")))
    ran = read_results(next((runs / "mime").rglob("results.json")))
    assert evaluated["metrics"] == ran["metrics"]  # the same predictions score the same through both doors
    assert evaluated["per_speaker"] == ran["per_speaker"]
    assert evaluated["dataset"]["fingerprint"] == ran["dataset"]["fingerprint"]


def test_read_results_rejects_a_foreign_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(BadInputError, match="is not a react-bench results record"):
        read_results(path)
    with pytest.raises(MissingDataError, match="no results file"):
        read_results(tmp_path / "nope.json")
