"""`react-bench data synth` and the default dataset."""

from __future__ import annotations


from react_bench.cli.main import main
from react_bench.data import default_data_root
from react_bench.data import default as default_module
from react_bench.data.synth.config import GENERATOR_VERSION


def test_synth_then_check(tmp_path, capsys):
    out = tmp_path / "synth"
    assert main(["data", "synth", "--out", str(out), "--size", "small", "--seed", "3"]) == 0
    assert (out / "synthetic.json").is_file() and (out / "val.csv").is_file()
    assert main(["data", "check", str(out)]) == 0
    assert "no problems found" in capsys.readouterr().out
    assert main(["data", "synth", "--out", str(out), "--size", "small"]) == 2  # refuses to overwrite
    assert "already exists" in capsys.readouterr().err


def test_default_data_root_generates_once_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REACT_BENCH_HOME", str(tmp_path))
    monkeypatch.setattr(default_module, "DEFAULT_SIZE", "small")  # the medium set takes a minute
    root = default_data_root()
    assert root.parent == tmp_path and (root / "synthetic.json").is_file()
    assert f"generating the default synthetic dataset in {root}" in capsys.readouterr().err
    assert default_data_root() == root
    assert capsys.readouterr().err == ""
    assert [p.name for p in tmp_path.iterdir()] == [root.name]  # no temporary folder left behind


def test_default_root_name(monkeypatch, tmp_path):
    monkeypatch.setenv("REACT_BENCH_HOME", str(tmp_path))
    assert default_module.synthetic_dataset_path() == tmp_path / f"synthetic-medium-seed0-v{GENERATOR_VERSION}"
