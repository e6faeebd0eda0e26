"""The submission registry: lookup errors, built-in loading, entry-point registration."""

from __future__ import annotations

import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

from react_bench.cli.main import main
from react_bench.submissions import available_submissions, get_submission, registry

BASELINES = ("gt", "meanfr", "meanseq", "mime", "oracle", "random")


def test_baselines_are_registered():
    assert set(BASELINES) <= set(available_submissions())


def test_unknown_name_lists_what_exists():
    with pytest.raises(KeyError, match=r"unknown submission 'nope'; available: .*gt.*mime.*random"):
        get_submission("nope")


def test_list_command_shows_every_baseline_with_description_and_fit(capsys):
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    for name in BASELINES:
        assert name in lines
    assert "needs fit" in lines["meanseq"] and "no fit" in lines["mime"]
    assert "speaker's own behaviour" in lines["mime"]


@pytest.fixture
def fresh_registry(monkeypatch):
    """Force the registry to load again (and drop what a test registers afterwards)."""
    snapshot = dict(registry._REGISTRY)
    monkeypatch.setattr(registry, "_loaded", False)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(snapshot)


def test_entry_point_registration(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "thirdparty_sub.py").write_text(textwrap.dedent('''
        import torch
        from react_bench.submissions import Submission, register_submission

        @register_submission("thirdparty")
        class ThirdParty(Submission):
            """A third-party submission."""
            def generate(self, batch, *, num_samples=10, generator):
                return torch.zeros(batch.batch_size, num_samples, batch.num_frames, 25)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = EntryPoint(name="thirdparty", value="thirdparty_sub", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [entry] if group == registry.ENTRY_POINT_GROUP else [])
    assert get_submission("thirdparty").__doc__ == "A third-party submission."
    assert "thirdparty" in available_submissions()
    sys.modules.pop("thirdparty_sub", None)


def test_missing_builtin_module_is_skipped(monkeypatch, fresh_registry):
    missing = "react_bench.no_such_package.model"
    monkeypatch.setattr(registry, "_BUILTIN_MODULES", registry._BUILTIN_MODULES + (missing,))
    assert "mime" in available_submissions()


def test_broken_builtin_module_raises(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "broken_sub.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_BUILTIN_MODULES", registry._BUILTIN_MODULES + ("broken_sub",))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        available_submissions()
    sys.modules.pop("broken_sub", None)
