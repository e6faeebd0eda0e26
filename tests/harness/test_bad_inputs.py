"""Bad input through the CLI: a clear error, a non-zero exit, and nothing half-written under runs/."""

from __future__ import annotations

import pytest

from react_bench.cli.main import main


def files_under(path):
    return sorted(p for p in path.rglob("*")) if path.exists() else []


def test_unknown_name(synthetic_root, tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["run", "nope", "--data", str(synthetic_root), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown submission 'nope'" in err and "mime" in err and "random" in err
    assert files_under(out) == []


def test_missing_dataset_folder(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["run", "mime", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "dataset folder" in err and "nowhere' does not exist" in err and "react-bench data synth" in err
    assert files_under(out) == []


@pytest.mark.parametrize("track", ["offline", "online"])
def test_wrong_shape(synthetic_root, tmp_path, capsys, track):
    out = tmp_path / "runs"
    code = main(["run", "test-wrong-shape", "--track", track, "--data", str(synthetic_root), "--out", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'test-wrong-shape' returned emotion of shape" in err
    frames = 750 if track == "offline" else 50
    assert f"expected (6, 10, {frames}, 25)" in err
    assert files_under(out) == []


def test_non_finite_reactions(synthetic_root, tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["run", "test-nan", "--data", str(synthetic_root), "--out", str(out), "--quiet"]) == 2
    assert "non-finite" in capsys.readouterr().err
    assert files_under(out) == []


def test_bad_batch_size(synthetic_root, tmp_path, capsys):
    assert main(["run", "mime", "--data", str(synthetic_root), "--out", str(tmp_path), "--batch-size", "0"]) == 2
    assert "batch_size must be a positive integer" in capsys.readouterr().err


def test_bad_submission_option(synthetic_root, tmp_path, capsys):
    assert main(["run", "mime", "--data", str(synthetic_root), "--out", str(tmp_path), "--set", "novalue"]) == 2
    assert "--set expects KEY=VALUE; got 'novalue'" in capsys.readouterr().err
    assert files_under(tmp_path) == []


def test_oracle_on_real_data_writes_nothing(corruptible_root, tmp_path, capsys):
    (corruptible_root / "synthetic.json").unlink()
    out = tmp_path / "runs"
    assert main(["run", "oracle", "--data", str(corruptible_root), "--out", str(out)]) == 2
    assert "only works on the synthetic dataset" in capsys.readouterr().err
    assert files_under(out) == []
