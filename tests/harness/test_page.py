"""The HTML leaderboard page: self-contained, sortable, reference rows apart, degenerate values flagged;
checked in a real browser (headless Chromium) where one is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from react_bench.cli.main import main
from react_bench.results import build_record, write_results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _record(name, *, corr, dist, rea, track="offline", reference=False, degenerate=None, audit=True):
    corr, dist = np.asarray(corr, float), np.asarray(dist, float)
    scores = {"FRCorr": corr.mean(), "FRDist": dist.mean(), "FRRea": rea, "protocol": "react2024",
              "frrea_feature_space": "space-v1", "per_speaker": {"FRCorr": corr.tolist(), "FRDist": dist.tolist()}}
    dataset = {"fingerprint": "f" * 64, "appropriateness_sha256": "a" * 64, "is_synthetic": True,
               "appropriateness_source": "extra-reactions", "root": "/nowhere"}
    online = {"latency_ms": {"mean": 1.0, "p95": 2.0, "max": 3.0}, "real_time_factor": 0.1} if track == "online" else None
    extra = {"audit": {"passed": audit, "cuts": [7], "max_abs_diff_before_cut": 0.0}} if track == "online" and audit is not None else {}
    return build_record(submission={"name": name, "reference": reference}, track=track, split="test", scores=scores,
                        dataset=dataset, config={"seed": 0, "track": track}, degenerate=degenerate, online=online,
                        **extra)


@pytest.fixture
def runs(tmp_path):
    records = {
        "gt": _record("gt", corr=[9.0, 9.5], dist=[0.0, 0.0], rea=0.0, reference=True,
                      degenerate={"FRRea": "generation 0 copies target sequences"}),
        "mime": _record("mime", corr=[1.0, 1.5], dist=[150.0, 160.0], rea=0.0,
                        degenerate={"FRRea": "generation 0 copies target sequences"}),
        "model": _record("model", corr=[2.0, 2.5], dist=[120.0, 130.0], rea=3.0),
        "random": _record("random", corr=[0.0, 0.1], dist=[300.0, 310.0], rea=40.0),
        "model-online": _record("model", corr=[1.5, 2.0], dist=[125.0, 135.0], rea=3.5, track="online"),
        "peek-online": _record("peek", corr=[5.0, 5.5], dist=[50.0, 55.0], rea=1.0, track="online", audit=False),
    }
    for folder, record in records.items():
        write_results(tmp_path / folder / record["track"] / "test" / "1", record)
    return tmp_path


def _rows(text: str, table: int = 0) -> list[str]:
    body = re.findall(r"<table>.*?</table>", text, flags=re.S)[table]
    return re.findall(r'<tr><td data-sort="([^"]+)"', body)


def test_best_skips_references_and_degenerate_values(runs, capsys):
    assert main(["table", "--runs", str(runs)]) == 0
    md = capsys.readouterr().out
    gt_row = next(line for line in md.splitlines() if line.startswith("| gt"))
    mime_row = next(line for line in md.splitlines() if line.startswith("| mime"))
    model_row = next(line for line in md.splitlines() if line.startswith("| model"))
    assert "**" not in gt_row  # the reference is never best
    assert "‡" in mime_row.split("|")[-2] and "**" not in mime_row.split("|")[-2]  # Mime's FRRea flagged
    assert model_row.split("|")[2].strip().startswith("**")  # best FRCorr among submissions
    assert model_row.split("|")[-2].strip().startswith("**")  # best FRRea once Mime's 0 is flagged
    assert md.index("| mime") < md.index("| gt")  # references below the submissions
    assert main(["table", "--runs", str(runs), "--format", "csv"]) == 0
    csv_text = capsys.readouterr().out
    gt_csv = next(line for line in csv_text.splitlines() if ",gt," in line)
    assert "*" not in gt_csv and ",true," in gt_csv


def test_page_is_self_contained_and_lists_both_tracks(runs, tmp_path):
    out = tmp_path / "index.html"
    assert main(["table", "--runs", str(runs), "--format", "html", "--track", "all", "--out", str(out),
                 "--plots", str(tmp_path / "plots")]) == 0
    text = out.read_text()
    assert "http://" not in text and "https://" not in text and "<link" not in text  # nothing to fetch
    assert text.count("<table>") == 2 and "data:image/png;base64," in text
    assert set(_rows(text, 0)) == {"gt", "mime", "model", "random"}
    assert set(_rows(text, 1)) == {"model", "peek"}
    assert "audit FAILED" in text and 'class="tag ref"' in text and "extra-reactions" in text
    best = re.findall(r'<td data-sort="[^"]*" class="best[^"]*"', text)
    assert best and all("9." not in cell for cell in best)  # GT's 9.x FRCorr is never highlighted


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_page_in_a_real_browser(runs, tmp_path):
    out = tmp_path / "index.html"
    assert main(["table", "--runs", str(runs), "--format", "html", "--track", "all", "--out", str(out)]) == 0

    def browse(*args, url=out.as_uri()):
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                   *args, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    loaded = browse("--dump-dom")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert "CONSOLE" not in loaded.stderr or "Uncaught" not in loaded.stderr
    assert "Uncaught" not in loaded.stderr
    assert _rows(loaded.stdout, 0) == ["mime", "model", "random", "gt"]  # name order as rendered
    ascending = browse("--dump-dom", url=out.as_uri() + "#sort=FRDist")
    assert "Uncaught" not in ascending.stderr
    assert _rows(ascending.stdout, 0) == ["model", "mime", "random", "gt"]  # sorted by FRDist, refs apart
    assert 'aria-sort="ascending"' in ascending.stdout
    shot = tmp_path / "page.png"
    browse(f"--screenshot={shot}", "--window-size=1400,1800")
    assert shot.is_file() and shot.stat().st_size > 10_000
