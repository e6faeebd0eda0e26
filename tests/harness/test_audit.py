"""The online causality audit: look-ahead inside a chunk is caught, causal submissions pass, runs record it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from harness_helpers import fake_evaluate
from react_bench.cli.main import main
from react_bench.errors import BadInputError
from react_bench.leaderboard import build_tables, render
from react_bench.runner import RunConfig, SpeakerStreams, run_submission
from react_bench.runner.audit import AUDIT_CUTS, audit_causality, draw_cuts
from react_bench.runner.run import prepare_submission
from react_bench.submissions import Reactions, Submission, register_submission


@register_submission("test-lookahead")
class LookAhead(Submission):
    """Mime one frame early: listener frame j copies speaker frame j + 1 of the same chunk (look-ahead)."""

    def reset(self, batch_size, *, num_samples=10, generator):
        self._samples = num_samples

    def step(self, chunk):
        ahead = torch.cat([chunk.emotion[:, 1:], chunk.emotion[:, -1:]], dim=1)  # (B, t, 25): frame j -> j + 1
        return Reactions(ahead.unsqueeze(1).expand(-1, self._samples, -1, -1))


@register_submission("test-unseeded")
class Unseeded(Submission):
    """Causal, but draws its noise from torch's global RNG instead of the run's generator."""

    def reset(self, batch_size, *, num_samples=10, generator):
        self._samples = num_samples

    def step(self, chunk):
        return torch.rand(chunk.batch_size, self._samples, chunk.num_frames, 25)


def _audit(name, root, **options):
    prepared = prepare_submission(name, data=root, split="test", out=options.pop("out"))
    streams = SpeakerStreams(prepared.dataset, features=prepared.submission.feature_specs())
    return audit_causality(prepared.submission, streams, num_samples=2, **options)


def test_look_ahead_inside_a_chunk_fails(synthetic_root, tmp_path):
    result = _audit("test-lookahead", synthetic_root, out=tmp_path)
    assert not result["passed"]
    assert result["reproducible"]  # it is look-ahead, not randomness
    assert result["max_abs_diff_before_cut"] > 0.1
    # every violation is the cut frame itself: frame t copied frame t + 1
    assert {v["first_frame"] for v in result["violations"]} == set(result["cuts"])


def test_look_ahead_is_invisible_at_chunk_ends_only(synthetic_root, tmp_path):
    # A cut on a chunk's last frame replaces whole chunks, which the runner already withholds:
    # this is why the audit never draws such cuts.
    assert _audit("test-lookahead", synthetic_root, out=tmp_path, cuts=[49, 99, 349])["passed"]
    assert not _audit("test-lookahead", synthetic_root, out=tmp_path, cuts=[48])["passed"]


def test_randomness_outside_the_generator_fails_as_not_reproducible(synthetic_root, tmp_path):
    result = _audit("test-unseeded", synthetic_root, out=tmp_path)
    assert not result["passed"] and not result["reproducible"]
    assert result["max_abs_diff_rerun"] > 0


@pytest.mark.parametrize("name", ["gt", "random", "mime", "meanseq", "meanfr", "oracle"])
def test_baselines_and_the_oracle_pass(name, synthetic_root, tmp_path):
    result = _audit(name, synthetic_root, out=tmp_path)
    assert result["passed"], result["violations"]
    assert result["max_abs_diff_before_cut"] == 0.0
    assert len(result["cuts"]) == AUDIT_CUTS and all((t + 1) % 50 for t in result["cuts"])


@pytest.mark.parametrize("name", ["mime", "oracle"])
def test_the_audit_has_power_on_submissions_that_read_the_speaker(name, synthetic_root, tmp_path):
    # frames after the cut do change: the replaced inputs reached the submission
    assert _audit(name, synthetic_root, out=tmp_path)["max_abs_diff_after_cut"] > 0.1


def test_frame_by_frame_chunks_pass_even_with_look_ahead(synthetic_root, tmp_path):
    # with one frame per step there is no later frame inside a chunk to look at
    assert _audit("test-lookahead", synthetic_root, out=tmp_path, chunk_frames=1, cuts=[10, 300])["passed"]


def test_cuts_avoid_chunk_ends_and_are_seeded():
    a = draw_cuts(750, 50, 5, np.random.default_rng(3))
    assert a == draw_cuts(750, 50, 5, np.random.default_rng(3)) == sorted(set(a))
    assert all(0 <= t <= 748 and (t + 1) % 50 for t in a)
    assert draw_cuts(3, 1, 2, np.random.default_rng(0)) == [0, 1]
    with pytest.raises(BadInputError, match=r"needs 3 cut frame\(s\) inside 2-frame chunks of a 4-frame stream; only 2"):
        draw_cuts(4, 2, 3, np.random.default_rng(0))


def test_bad_audit_options_name_the_fix(synthetic_root, tmp_path):
    with pytest.raises(BadInputError, match=r"audit cut frames must lie in 0\.\.748"):
        _audit("mime", synthetic_root, out=tmp_path, cuts=[749])
    with pytest.raises(BadInputError, match="chunk_frames must be a positive integer"):
        _audit("mime", synthetic_root, out=tmp_path, chunk_frames=0)


def test_online_run_records_the_audit(synthetic_root, tmp_path):
    good = run_submission("mime", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path,
                          batch_size=4, num_samples=2, progress=False)
    bad = run_submission("test-lookahead", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path,
                         batch_size=4, num_samples=2, progress=False)
    offline = run_submission("mime", scorer=fake_evaluate, data=synthetic_root, out=tmp_path, batch_size=4,
                             num_samples=2, progress=False)
    good, bad, offline = (json.loads((p / "results.json").read_text()) for p in (good, bad, offline))
    assert good["audit"]["passed"] and good["audit"]["chunk_frames"] == 50
    assert good["timings"]["audit_s"] == good["audit"]["seconds"]
    assert not bad["audit"]["passed"]  # recorded, not raised: the leaderboard shows it
    assert "audit" not in offline


def test_chunk_frames_one_runs_and_is_recorded(synthetic_root, tmp_path):
    one = run_submission("mime", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path,
                         batch_size=6, num_samples=2, chunk_frames=1, progress=False)
    fifty = run_submission("mime", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path,
                           batch_size=6, num_samples=2, progress=False)
    record = json.loads((one / "results.json").read_text())
    assert record["online"]["chunk_frames"] == record["config"]["chunk_frames"] == record["audit"]["chunk_frames"] == 1
    assert record["online"]["windows"] == 750  # one batch of 6 speakers, one step per frame
    assert record["audit"]["passed"]
    np.testing.assert_array_equal(np.load(one / "predictions.npy"), np.load(fifty / "predictions.npy"))


def test_chunk_frames_is_part_of_the_resume_key():
    a, b = RunConfig(name="mime", track="online"), RunConfig(name="mime", track="online", chunk_frames=1)
    assert a.chunk_frames == 50 and a.resume_key("x") != b.resume_key("x")
    with pytest.raises(BadInputError, match="chunk_frames must be a positive integer; got 0"):
        RunConfig(name="mime", track="online", chunk_frames=0)


def test_audit_cli_exit_status(synthetic_root, tmp_path, capsys):
    common = ["--data", str(synthetic_root), "--out", str(tmp_path), "--num-samples", "2"]
    assert main(["audit", "mime", *common]) == 0
    assert json.loads(capsys.readouterr().out.rsplit("}", 1)[0] + "}")["passed"] is True
    assert main(["audit", "test-lookahead", *common, "--speakers", "1", "--cuts", "2"]) == 1
    out = capsys.readouterr().out
    assert "causality audit of 'test-lookahead': FAILED" in out
    assert main(["audit", "mime", *common, "--chunk-frames", "0"]) == 2
    assert main(["run", "mime", "--track", "online", *common, "--chunk-frames", "0"]) == 2
    assert "chunk_frames must be a positive integer; got 0" in capsys.readouterr().err


def _record(name, audit):
    record = {
        "schema": "react-bench/results/2", "submission": {"name": name}, "track": "online", "split": "test",
        "protocol": "react2024", "metrics": {"FRDist": {"value": {"ok": 2.0, "cheat": 1.0, "old": 3.0}[name],
                                                        "direction": "lower"}},
        "per_speaker": {}, "online": {"latency_ms": {"p95": 2.0}, "real_time_factor": 0.1},
        "dataset": {"fingerprint": "f" * 64, "is_synthetic": True}, "provenance": {"date": "2026-01-01"},
    }
    if audit is not None:
        record["audit"] = {"passed": audit}
    return record


def test_online_leaderboard_shows_the_audit_and_ranks_only_passed_rows():
    records = [_record("cheat", False), _record("ok", True), _record("old", None)]
    (table,) = build_tables(records, track="online")
    assert table.audits == {"cheat": "FAILED", "ok": "passed", "old": "missing"}
    audit = [c.name for c in table.columns].index("audit")
    assert [row[audit].text for row in table.rows.values()] == ["FAILED", "passed", "missing"]
    frdist = [row[0] for row in table.rows.values()]
    assert [cell.best for cell in frdist] == [False, True, False]  # the look-ahead row's lower FRDist is not best
    text = render([table], fmt="md")
    assert "| submission | FRDist ↓ | latency p95 ms ↓ | RTF ↓ | audit |" in text
    assert "| cheat † | 1 | 2 | 0.1 | FAILED |" in text and "| ok | **2** |" in text
    assert "FAILED or missing audit and is not ranked" in text
    assert "FAILED" in render([table], fmt="csv") and "missing" in render([table], fmt="html")
    (offline,) = build_tables([{**_record("ok", None), "track": "offline"}], track="offline")
    assert "audit" not in [c.name for c in offline.columns] and "†" not in render([offline], fmt="md")
