"""``react-bench run`` refreshes its track's leaderboard from the results files under ``--out``."""

from __future__ import annotations

from react_bench.cli.main import main


def test_run_refreshes_the_leaderboard(synthetic_root, tmp_path, capsys):
    out = tmp_path / "runs"
    for name in ("mime", "random"):
        assert main(["run", name, "--track", "offline", "--data", str(synthetic_root), "--out", str(out), "--quiet"]) == 0
    board = out / "leaderboard-offline-test.md"
    text = board.read_text()
    assert "| mime |" in text and "| random |" in text
    capsys.readouterr()
    assert main(["table", "--track", "offline", "--runs", str(out)]) == 0
    assert capsys.readouterr().out == text
