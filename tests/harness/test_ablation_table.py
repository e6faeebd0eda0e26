"""The ablation table (``react-bench table --group``) from handmade results records over several seeds,
checked against an independent numpy computation; and the runner's diagnostics block."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from harness_helpers import fake_evaluate

from react_bench.cli.main import main
from react_bench.data import ReactDataset
from react_bench.leaderboard import build_ablation_tables, latest_runs, load_results
from react_bench.leaderboard.ablations import GROUP_METRICS
from react_bench.metrics.smoothness import window_jump_ratio
from react_bench.results import build_record, read_results, write_results
from react_bench.runner import run_submission
from react_bench.submissions.registry import submission_aliases

FINGERPRINT = "a" * 64
N = 12  # speakers
PER_SPEAKER = [m for m in GROUP_METRICS if m != "FRRea"]


def fake_record(name, seed, *, values, frrea, track="offline", date="2026-01-01T00:00:00+00:00",
                jump=None, options=None, num_samples=10, effective=None):
    """A results record as build_record writes it: per-speaker values ``{metric: (N,)}`` and FRRea."""
    scores = {m: float(np.mean(v)) for m, v in values.items()}
    scores.update(FRRea=frrea, protocol="react2024", per_speaker={m: list(v) for m, v in values.items()})
    extra = {} if jump is None else {"diagnostics": {"window": 50, "window_jump_ratio": jump,
                                                      "reference_window_jump_ratio": 1.06}}
    record = build_record(
        submission={"name": name, "config": options or {}}, track=track, split="test", scores=scores,
        dataset={"fingerprint": FINGERPRINT, "appropriateness_sha256": "b" * 64, "is_synthetic": True},
        config={"seed": seed, "track": track, "num_samples": num_samples}, seeds={"run_seed": seed, "batch_seeds": [seed * 7]}, **extra,
    )
    record["provenance"]["date"] = date
    if effective is not None:
        record["submission"]["effective_config"] = effective
    return record


def per_speaker(rng, shift):
    return {m: rng.normal(1.0 + shift + i, 0.3, size=N) for i, m in enumerate(PER_SPEAKER)}


@pytest.fixture
def runs(tmp_path):
    """full x3 seeds, nommt x2, noaudio x1 (under its name), novideo x2 (one under the old alias), a
    stale run of the full model's seed 0 and a run of another submission (both must be ignored)."""
    rng = np.random.default_rng(0)
    made = {}

    def put(folder, name, seed, shift, **options):
        values = per_speaker(rng, shift)
        made.setdefault(name, {})[seed] = values
        frrea = 0.5 + shift + 0.01 * seed
        made[name].setdefault("frrea", {})[seed] = frrea
        write_results(tmp_path / folder, fake_record(name, seed, values=values, frrea=frrea, **options))

    for seed in (0, 1, 2):
        put(f"reactdiff/offline/test/s{seed}", "reactdiff", seed, 0.0, jump=1.1 + 0.1 * seed)
    for seed in (0, 1):
        put(f"reactdiff-nommt/offline/test/s{seed}", "reactdiff-nommt", seed, -0.3, jump=2.0 + seed)
    put("reactdiff-noaudio/offline/test/s0", "reactdiff-noaudio", 0, -0.02)  # no diagnostics: an older run
    put("reactdiff-novideo/offline/test/s0", "reactdiff-novideo", 0, -0.2, jump=3.0)
    put("reactdiff-novisual/offline/test/s1", "reactdiff-novisual", 1, -0.2, jump=5.0)
    stale = fake_record("reactdiff", 0, values=per_speaker(rng, 9.0), frrea=9.0, date="2025-01-01T00:00:00+00:00")
    write_results(tmp_path / "reactdiff/offline/test/old", stale)
    write_results(tmp_path / "mime/offline/test/1", fake_record("mime", 0, values=per_speaker(rng, 5.0), frrea=0.0))
    return tmp_path, made


def csv_rows(text):
    return {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}


def bootstrap_reference(difference, resamples=2000, seed=0):
    """The percentile bootstrap written out again (the documented definition: resample the N speakers
    with replacement from numpy default_rng(0), 2000 times, and take the 2.5 and 97.5 percentiles of the mean)."""
    rng = np.random.default_rng(seed)
    n = difference.size
    means = difference[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    return np.percentile(means, [2.5, 97.5])


def test_means_spreads_and_paired_cis_match_numpy(runs, capsys):
    folder, made = runs
    assert main(["table", "--group", "reactdiff", "--runs", str(folder), "--format", "csv"]) == 0
    rows = csv_rows(capsys.readouterr().out)
    assert list(rows) == ["reactdiff", "reactdiff-nommt", "reactdiff-novideo", "reactdiff-noaudio"]
    old = made["reactdiff-novisual"]
    merged = {"reactdiff-novideo": {**made["reactdiff-novideo"], 1: old[1],
                                    "frrea": {**made["reactdiff-novideo"]["frrea"], **old["frrea"]}}}
    for name, seeds in (("reactdiff", (0, 1, 2)), ("reactdiff-nommt", (0, 1)), ("reactdiff-novideo", (0, 1))):
        source = merged.get(name, made[name])
        assert rows[name]["seeds"] == " ".join(map(str, seeds))
        for metric in ("FRCorr", "FRDist", "FREnergy"):
            values = np.stack([source[s][metric] for s in seeds])  # (seeds, N)
            seed_means = values.mean(axis=1)
            assert float(rows[name][f"{metric} mean"]) == pytest.approx(seed_means.mean(), rel=1e-12)
            assert float(rows[name][f"{metric} sd"]) == pytest.approx(np.std(seed_means, ddof=1), rel=1e-12)
            assert rows[name][f"{metric} n"] == str(len(seeds))
            if name == "reactdiff":
                assert rows[name][f"{metric} diff"] == ""
                continue
            reference = np.stack([made["reactdiff"][s][metric] for s in (0, 1, 2)])
            difference = values.mean(axis=0) - reference.mean(axis=0)  # (N,) pair by speaker
            low, high = bootstrap_reference(difference)
            assert float(rows[name][f"{metric} diff"]) == pytest.approx(difference.mean(), rel=1e-12)
            assert float(rows[name][f"{metric} diff_ci_low"]) == pytest.approx(low, rel=1e-12)
            assert float(rows[name][f"{metric} diff_ci_high"]) == pytest.approx(high, rel=1e-12)
        # FRRea has no per-speaker values: the difference of the seed means, without a CI
        frrea = np.mean([source["frrea"][s] for s in seeds])
        if name != "reactdiff":
            assert float(rows[name]["FRRea diff"]) == pytest.approx(frrea - np.mean([0.5, 0.51, 0.52]), rel=1e-12)
            assert rows[name]["FRRea diff_ci_low"] == ""
    # the window-jump diagnostic: mean and sd over the seeds that recorded it; none for noaudio
    assert float(rows["reactdiff"]["window_jump mean"]) == pytest.approx(1.2)
    assert float(rows["reactdiff"]["window_jump sd"]) == pytest.approx(0.1)
    assert float(rows["reactdiff-novideo"]["window_jump mean"]) == pytest.approx(4.0)  # 3.0 (new name), 5.0 (alias)
    assert rows["reactdiff-noaudio"]["window_jump mean"] == ""
    # a variant with one seed: a mean, no spread
    assert rows["reactdiff-noaudio"]["seeds"] == "0" and rows["reactdiff-noaudio"]["FRCorr sd"] == ""


def test_markdown_rows(runs, capsys):
    folder, made = runs
    assert main(["table", "--group", "reactdiff", "--runs", str(folder)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Ablations: reactdiff\n")
    header = "| model | seeds | " + " | ".join(
        f"{m} {'↓' if m in ('FRDist', 'FRSyn', 'FRRea', 'FREnergy') else '↑'}" for m in GROUP_METRICS) + " | window jump |"
    assert header in text
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| model")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "ReactDiff (full) (`reactdiff`)", "w/o MMT (`reactdiff-nommt`)", "↳ Δ vs full [95% CI]",
        "w/o video (`reactdiff-novideo`)", "↳ Δ vs full [95% CI]", "w/o audio (`reactdiff-noaudio`)",
        "↳ Δ vs full [95% CI]",
    ]
    full = rows[0].split("|")
    values = np.array([made["reactdiff"][s]["FRCorr"].mean() for s in (0, 1, 2)])
    assert full[2].strip() == "3 (0, 1, 2)"
    assert full[3].strip() == f"{values.mean():.4g} ± {np.std(values, ddof=1):.2g}"
    assert full[-2].strip() == "1.2 ± 0.1"
    noaudio = rows[5].split("|")
    assert noaudio[3].strip() == f"{made['reactdiff-noaudio'][0]['FRCorr'].mean():.4g}"  # one seed: no ±
    assert noaudio[-2].strip() == "—"
    # nommt is 0.3 below the full model on every per-speaker metric: its CIs exclude 0, so they are bold
    nommt_diff = rows[2].split("|")
    assert nommt_diff[3].strip().startswith("**-0.") and nommt_diff[3].strip().endswith("]**")
    assert "[" not in nommt_diff[3 + GROUP_METRICS.index("FRRea")]  # FRRea: no CI
    assert "2000 resamples of speakers" in text and "averaged over its seeds" in text
    assert "the real listeners of this split: 1.06" in text


def test_newest_run_per_seed_and_the_leaderboard_keeps_one_per_submission(runs):
    folder, made = runs
    results = load_results(folder)
    [table] = build_ablation_tables(results, group="reactdiff", track="offline", aliases=submission_aliases())
    full = table.rows[0]
    assert full.seeds == [0, 1, 2]
    assert full.cells["FRCorr"].values[0] == pytest.approx(made["reactdiff"][0]["FRCorr"].mean())  # not the stale run
    # without the alias map, the run under the old name is not part of the group
    assert [r.seeds for r in table.rows if r.submission == "reactdiff-novideo"] == [[0, 1]]
    [table] = build_ablation_tables(results, group="reactdiff", track="offline")
    assert [r.seeds for r in table.rows if r.submission == "reactdiff-novideo"] == [[0]]
    # the leaderboard itself still keeps the newest run per submission
    assert [r["submission"]["name"] for r in latest_runs(results, track="offline")].count("reactdiff") == 1


def test_tracks_options_and_a_missing_full_model(tmp_path, capsys):
    rng = np.random.default_rng(1)
    for seed in (0, 1):
        write_results(tmp_path / f"a{seed}", fake_record("reactdiff", seed, values=per_speaker(rng, 0), frrea=1.0))
        write_results(tmp_path / f"b{seed}", fake_record("reactdiff-nommt", seed, values=per_speaker(rng, 1), frrea=1.0,
                                                         track="online"))
        write_results(tmp_path / f"c{seed}", fake_record("reactdiff-nommt", seed, values=per_speaker(rng, 1), frrea=1.0,
                                                         options={"preset": "paper-exact"}))
    tables = build_ablation_tables(load_results(tmp_path), group="reactdiff", track="offline")
    [offline] = tables
    # a run with other options is its own row; with no full model run under those options, no differences
    assert [(r.name, r.differences) for r in offline.rows] == [
        ("ReactDiff (full)", None), ("w/o MMT [preset=paper-exact]", None)]
    [online] = build_ablation_tables(load_results(tmp_path), group="reactdiff", track="online")
    assert [r.submission for r in online.rows] == ["reactdiff-nommt"] and online.rows[0].differences is None
    assert main(["table", "--group", "reactdiff", "--track", "all", "--runs", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Track `offline`" in text and "Track `online`" in text and "| ↳ Δ" not in text


def test_runs_with_other_generation_counts_are_a_table_of_their_own(tmp_path, capsys):
    rng = np.random.default_rng(4)
    for seed, count in ((0, 10), (1, 10), (0, 2)):
        write_results(tmp_path / f"r{seed}-{count}", fake_record("reactdiff", seed, values=per_speaker(rng, 0), frrea=1.0,
                                                                 num_samples=count))
    tables = build_ablation_tables(load_results(tmp_path), group="reactdiff", track="offline")
    assert [(t.generations, t.rows[0].seeds) for t in tables] == [(2, [0]), (10, [0, 1])]
    assert main(["table", "--group", "reactdiff", "--runs", str(tmp_path)]) == 0
    assert "(synthetic), 2 reactions per speaker." in capsys.readouterr().out


def test_bad_requests_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["table", "--group", "reactdiff", "--runs", str(tmp_path / "empty")]) == 2
    assert "no results of group 'reactdiff'" in capsys.readouterr().err
    write_results(tmp_path / "x", fake_record("reactdiff", 0, values=per_speaker(np.random.default_rng(2), 0), frrea=1.0))
    assert main(["table", "--group", "reactdiff", "--runs", str(tmp_path), "--format", "html"]) == 2
    assert "--group renders as md or csv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["table", "--group", "nosuchgroup", "--runs", str(tmp_path)])


def test_records_without_diagnostics_are_read(tmp_path):
    record = fake_record("reactdiff", 0, values=per_speaker(np.random.default_rng(3), 0), frrea=1.0)
    assert "diagnostics" not in record
    back = read_results(write_results(tmp_path, record))
    [table] = build_ablation_tables([back], group="reactdiff", track="offline")
    assert table.rows[0].window_jump is None and table.reference_window_jump is None


@pytest.mark.parametrize("name", ["mime", "meanfr"])
def test_every_run_records_the_window_jump_diagnostic(name, synthetic_root, tmp_path):
    path = run_submission(name, data=synthetic_root, out=tmp_path, progress=False, scorer=fake_evaluate,
                          batch_size=4, seed=3)
    record = json.loads((path / "results.json").read_text())
    assert record["seeds"]["run_seed"] == 3
    block = record["diagnostics"]
    targets = ReactDataset(synthetic_root, "test").targets()
    assert block["window"] == 50
    assert block["reference_window_jump_ratio"] == pytest.approx(window_jump_ratio(targets[:, None]))
    if name == "mime":  # the speaker's own emotion: a real clip, so no jumps at window boundaries
        assert block["window_jump_ratio"] == pytest.approx(window_jump_ratio(np.load(path / "predictions.npy")))
    else:  # one constant frame: the ratio is undefined, and the block says why
        assert block["window_jump_ratio"] is None
        assert block["window_steps"] == {"boundary": 0.0, "within": 0.0}
        assert "never change inside a window" in block["window_jump_undefined"]


def run_regenerate_ablations(tmp_path, **environment) -> list[str]:
    """Run leaderboards/regenerate_ablations.sh with ``environment`` and a stand-in for react-bench that
    only records its arguments (the real runs take 10+ minutes each); returns the recorded calls."""
    script = Path(__file__).resolve().parents[2] / "leaderboards" / "regenerate_ablations.sh"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    log = tmp_path / "calls.txt"
    log.unlink(missing_ok=True)
    (fake_bin / "react-bench").write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n')
    (fake_bin / "react-bench").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "RUNS": str(tmp_path / "runs"),
           **environment}
    subprocess.run(["bash", str(script)], check=True, env=env, cwd=tmp_path)
    return log.read_text().splitlines()


def test_the_regenerate_script_runs_three_full_seeds_two_per_variant_and_renders(tmp_path):
    calls = run_regenerate_ablations(tmp_path)
    runs = [c.split() for c in calls if c.startswith("run ")]
    seeds = {}
    for call in runs:
        name, track, seed = call[1], call[call.index("--track") + 1], call[call.index("--seed") + 1]
        seeds.setdefault(name, set()).add((track, seed))
    assert seeds.pop("reactdiff") == {(t, s) for t in ("offline", "online") for s in "012"}
    assert sorted(seeds) == ["reactdiff-lrs", "reactdiff-noaudio", "reactdiff-nodiffusion", "reactdiff-nommt",
                             "reactdiff-novideo"]
    assert all(v == {(t, s) for t in ("offline", "online") for s in "01"} for v in seeds.values())
    assert calls[-2] == f"table --group reactdiff --track all --runs {tmp_path / 'runs'} --format md --out leaderboards/ablations.md"
    assert calls[-1].endswith("--format csv --out leaderboards/ablations.csv")


def test_the_regenerate_script_runs_fits_side_by_side_with_the_threads_it_is_given(tmp_path):
    calls = run_regenerate_ablations(tmp_path, JOBS="2", THREADS="1", TRACKS="offline", VARIANTS="reactdiff-nommt",
                                     FULL_SEEDS="0 1")
    runs = [c.split() for c in calls if c.startswith("run ")]
    assert sorted((c[1], c[c.index("--seed") + 1]) for c in runs) == [
        ("reactdiff", "0"), ("reactdiff", "1"), ("reactdiff-nommt", "0"), ("reactdiff-nommt", "1")]
    assert all(c[c.index("--track") + 1] == "offline" and c[c.index("--set") + 1] == "num_threads=1" for c in runs)


def test_the_regenerate_script_gives_the_variants_their_own_tracks_and_runs_no_full_seed_when_told(tmp_path):
    env = dict(VARIANTS="reactdiff-lrs reactdiff-nommt", VARIANT_SEEDS="1", VARIANT_TRACKS="offline")
    runs = [c.split() for c in run_regenerate_ablations(tmp_path, FULL_SEEDS="2", **env) if c.startswith("run ")]
    assert sorted((c[1], c[c.index("--seed") + 1], c[c.index("--track") + 1]) for c in runs) == [
        ("reactdiff", "2", "offline"), ("reactdiff", "2", "online"),
        ("reactdiff-lrs", "1", "offline"), ("reactdiff-nommt", "1", "offline")]
    runs = [c.split() for c in run_regenerate_ablations(tmp_path, FULL_SEEDS="", **env) if c.startswith("run ")]
    assert sorted(c[1] for c in runs) == ["reactdiff-lrs", "reactdiff-nommt"]


@pytest.mark.parametrize("script", ["regenerate.sh", "regenerate_ablations.sh"])
def test_a_regenerate_script_without_the_cli_on_the_path_stops_before_any_run_and_says_to_activate(tmp_path, script):
    repo = Path(__file__).resolve().parents[2]
    before = {p: p.stat().st_mtime_ns for p in (repo / "leaderboards").glob("*.md")}
    done = subprocess.run(["bash", str(repo / "leaderboards" / script)], env={"PATH": "/usr/bin:/bin"},
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert "react-bench: command not found" in done.stderr and ".venv/bin/activate" in done.stderr
    assert {p: p.stat().st_mtime_ns for p in (repo / "leaderboards").glob("*.md")} == before


def test_runs_of_an_older_default_are_neither_mixed_into_a_row_nor_compared(tmp_path, capsys):
    """A default changed after seed 0 was run: the full row keeps the new model's seeds only; a variant
    still run with the old default gets no Δ (its config differs in more than what the variant sets),
    while a variant differing only in its own override field does get one."""
    rng = np.random.default_rng(7)
    old = {"use_mmt": True, "use_diffusion": True, "lr": 2e-3}  # lacks the field added with the new default
    new = {**old, "denoise_loss": "l2"}
    runs = [("reactdiff", 0, old, "2026-01-01"), ("reactdiff", 1, new, "2026-02-01"), ("reactdiff", 2, new, "2026-02-02"),
            ("reactdiff-nommt", 0, {**old, "use_mmt": False}, "2026-01-01"),
            ("reactdiff-nodiffusion", 0, {**new, "use_diffusion": False}, "2026-02-03"),
            ("reactdiff-noaudio", 0, {**new, "lr": 1e-3}, "2026-02-03")]
    for name, seed, effective, date in runs:
        write_results(tmp_path / f"{name}-{seed}", fake_record(name, seed, values=per_speaker(rng, 0), frrea=1.0,
                                                               date=f"{date}T00:00:00+00:00", effective=effective))
    [table] = build_ablation_tables(load_results(tmp_path), group="reactdiff", track="offline")
    rows = {r.submission: r for r in table.rows}
    assert rows["reactdiff"].seeds == [1, 2] and rows["reactdiff"].left_out == 1
    assert rows["reactdiff-nommt"].differences is None and rows["reactdiff-nommt"].config_mismatch == ("denoise_loss",)
    assert rows["reactdiff-nodiffusion"].config_mismatch == () and "FRCorr" in rows["reactdiff-nodiffusion"].differences
    assert rows["reactdiff-noaudio"].config_mismatch == ("lr",)  # not a field noaudio sets
    assert main(["table", "--group", "reactdiff", "--runs", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "| 2 (1, 2); 1 older config left out |" in text
    assert "not computed: another model than the full row's (config differs in `denoise_loss`); rerun it" in text
    header = next(line for line in text.splitlines() if line.startswith("| model"))
    mismatch = next(line for line in text.splitlines() if "not computed" in line and "`lr`" in line)
    assert mismatch.count("|") == header.count("|")
    assert main(["table", "--group", "reactdiff", "--runs", str(tmp_path), "--format", "csv"]) == 0
    rows = csv_rows(capsys.readouterr().out)
    assert (rows["reactdiff"]["left_out"], rows["reactdiff-nommt"]["config_mismatch"]) == ("1", "denoise_loss")
