"""Resume: a run killed mid-way, started again with the same command, ends with the same numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from harness_helpers import CrashSwitch, fake_evaluate
import react_bench.runner.run as run_module
from react_bench.runner import run_submission
from react_bench.runner.store import MARKER


HERE = Path(__file__).resolve().parent


def unfinished_runs(out: Path) -> list[Path]:
    return [marker.parent for marker in out.rglob(MARKER)]


def same_numbers(a: Path, b: Path) -> None:
    np.testing.assert_array_equal(np.load(a / "predictions.npy"), np.load(b / "predictions.npy"))
    ra, rb = (json.loads((p / "results.json").read_text()) for p in (a, b))
    assert ra["metrics"] == rb["metrics"]
    assert ra["per_speaker"] == rb["per_speaker"]


@pytest.mark.parametrize("track", ["offline", "online"])
def test_crash_then_same_command_resumes(synthetic_root, tmp_path, monkeypatch, track):
    options = dict(track=track, data=synthetic_root, batch_size=2, progress=False)
    reference = run_submission("test-crash", scorer=fake_evaluate, out=tmp_path / "reference", **options)

    out = tmp_path / "runs"
    monkeypatch.setattr(CrashSwitch, "armed", True)
    monkeypatch.setattr(CrashSwitch, "after", 2)
    monkeypatch.setattr(CrashSwitch, "calls", 0)
    if track == "online":  # the default step calls generate once per window: crash in the second batch
        monkeypatch.setattr(CrashSwitch, "after", 15 + 3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_submission("test-crash", scorer=fake_evaluate, out=out, **options)
    (unfinished,) = unfinished_runs(out)
    finished = sorted(p.name for p in (unfinished / "shards").glob("*.npz"))
    assert finished == ["batch-00000.npz"] if track == "online" else ["batch-00000.npz", "batch-00001.npz"]
    assert not (unfinished / "results.json").exists()

    monkeypatch.setattr(CrashSwitch, "armed", False)
    monkeypatch.setattr(CrashSwitch, "calls", 0)
    calls_in_audit = []
    real_audit = run_module.audit_causality

    def counted_audit(*args, **kwargs):  # the online audit re-streams a few speakers: not generation
        before = CrashSwitch.calls
        result = real_audit(*args, **kwargs)
        calls_in_audit.append(CrashSwitch.calls - before)
        return result

    monkeypatch.setattr(run_module, "audit_causality", counted_audit)
    resumed = run_submission("test-crash", scorer=fake_evaluate, out=out, **options)
    assert resumed == unfinished
    generated = CrashSwitch.calls - sum(calls_in_audit)
    assert generated == (1 if track == "offline" else 2 * 15)  # only the unfinished batches ran (3 in all)
    assert json.loads((resumed / "results.json").read_text())["timings"]["resumed"] is True
    assert unfinished_runs(out) == [] and not (resumed / "shards").exists()
    same_numbers(resumed, reference)


def test_a_different_command_does_not_resume(synthetic_root, tmp_path, monkeypatch):
    out = tmp_path / "runs"
    monkeypatch.setattr(CrashSwitch, "armed", True)
    monkeypatch.setattr(CrashSwitch, "after", 1)
    monkeypatch.setattr(CrashSwitch, "calls", 0)
    with pytest.raises(RuntimeError):
        run_submission("test-crash", scorer=fake_evaluate, data=synthetic_root, out=out, batch_size=2, progress=False)
    monkeypatch.setattr(CrashSwitch, "armed", False)
    other = run_submission("test-crash", scorer=fake_evaluate, data=synthetic_root, out=out, batch_size=2, seed=1, progress=False)
    assert len(unfinished_runs(out)) == 1 and unfinished_runs(out)[0] != other


def test_sigkill_mid_run_then_same_command(synthetic_root, tmp_path):
    out = tmp_path / "runs"
    argv = ["run", "test-slow", "--data", str(synthetic_root), "--out", str(out), "--batch-size", "2", "--quiet"]
    script = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import harness_helpers; "
        f"from react_bench.cli.main import main; sys.exit(main({argv!r}))"
    )
    process = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": "0"})
    deadline = time.monotonic() + 120
    try:
        while not list(out.rglob("batch-*.npz")):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the run ended (code {process.returncode}) before writing its first shard")
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    (unfinished,) = unfinished_runs(out)
    assert not (unfinished / "results.json").exists()
    assert list((unfinished / "shards").glob("*.npz"))  # killed after at least one shard (of 3) was saved

    resumed = run_submission("test-slow", scorer=fake_evaluate, data=synthetic_root, out=out, batch_size=2, progress=False)
    assert resumed == unfinished
    reference = run_submission("test-slow", scorer=fake_evaluate, data=synthetic_root, out=tmp_path / "reference", batch_size=2,
                               progress=False)
    same_numbers(resumed, reference)
