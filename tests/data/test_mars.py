"""The MARS layout (REACT2025/2026): detection, order, pairing, windows, appropriateness, the 9-target
draw, the 2026 tables, the checker. References are written here from the official loaders' rules."""

from __future__ import annotations

import csv
import math
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from react_bench.data.mars import (
    EEG_COLUMNS, MarsDataset, check_mars, detect_layout, draw_test_targets, write_mars_layout,
)

WINDOW = 300


@pytest.fixture(scope="module")
def mars_root(synthetic_root, tmp_path_factory) -> Path:
    """The small synthetic dataset written in the MARS layout, 2026 edition (personality and EEG tables)."""
    return write_mars_layout(synthetic_root, tmp_path_factory.mktemp("mars") / "small", edition="2026")


def _hand_tree(root: Path, sessions: dict[str, int], *, frames: int = 40) -> Path:
    """A bare MARS tree: emotion and coefficients for speaker and listener of each stem."""
    rng = np.random.default_rng(7)
    for session, count in sessions.items():
        for number in range(count):
            for role in ("speaker", "listener"):
                for folder, dim in (("facial-attributes", 25), ("coefficients", 58)):
                    path = root / "test" / folder / role / session / f"Camera-{number:02d}.npy"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, rng.uniform(size=(frames + number, dim)).astype(np.float32))
    return root


def _walk_reference(root: Path, split: str) -> list[str]:
    """Speaker-role clips then listener-role clips, sessions by number, stems sorted, each with its partner."""
    base = root / split / "facial-attributes"
    clips = []
    for dirpath, _, files in os.walk(base):
        rel = Path(dirpath).relative_to(base).parts
        if len(rel) == 2:
            clips += [(rel[0], rel[1], Path(f).stem) for f in files if f.endswith(".npy")]
    present = set(clips)
    paired = [c for c in clips if ({"speaker": "listener", "listener": "speaker"}[c[0]], c[1], c[2]) in present]
    paired.sort(key=lambda c: (c[0] != "speaker", int(c[1].removeprefix("session")), c[2]))
    return ["/".join(c) for c in paired]


def test_layout_detection(synthetic_root, mars_root, tmp_path):
    assert detect_layout(synthetic_root) == "react2024"
    assert detect_layout(mars_root) == "mars"
    with pytest.raises(ValueError, match="is in no known layout"):
        detect_layout(tmp_path)


def test_sample_order_pairing_and_windows(mars_root):
    ds = MarsDataset(mars_root, "train", window_frames=WINDOW)
    assert ds.pairs == _walk_reference(mars_root, "train")
    assert ds.fps == 30
    k = 0
    for p, speaker in enumerate(ds.pairs):
        role, session, stem = speaker.split("/")
        listener = f"{'listener' if role == 'speaker' else 'speaker'}/{session}/{stem}"
        files = [np.load(mars_root / "train" / d / f"{c}.npy") for d in ("facial-attributes", "coefficients") for c in (speaker, listener)]
        files.append(np.load(mars_root / "train" / "audio-features" / f"{speaker}.npy"))
        length = min(len(f) for f in files)
        assert ds.lengths[p] == length
        for start in range(0, length, WINDOW):  # consecutive windows from frame 0, the last one zero-padded
            valid = min(WINDOW, length - start)
            assert ds.clip_path(k, "speaker") == speaker and ds.clip_path(k, "listener") == listener
            assert ds.window(k) == (start, valid)
            np.testing.assert_array_equal(ds.emotion("listener")[k, :valid], files[1][start:start + valid])
            assert not ds.emotion("speaker")[k, valid:].any()
            k += 1
    assert k == len(ds) == sum(math.ceil(n / WINDOW) for n in ds.lengths)
    assert len(set(ds.lengths)) > 1, "the writer should give clips of varying length"
    assert ds.precomputed_features("speaker").shape == (len(ds), WINDOW, 768)


def test_speaker_only_order(mars_root):
    ds = MarsDataset(mars_root, "train", window_frames=WINDOW, bidirectional=False)
    assert ds.pairs == [p for p in _walk_reference(mars_root, "train") if p.startswith("speaker/")]


def test_appropriateness_by_session(mars_root):
    ds = MarsDataset(mars_root, "train", window_frames=WINDOW)
    assert ds.appropriateness_kind == "session"
    listeners = ds.clip_paths("listener")
    sessions = {p.split("/")[1] for p in listeners}
    assert len(sessions) > 1
    matrix = ds.appropriateness()
    for k in range(len(ds)):
        for j in range(len(ds)):
            same = listeners[j].rsplit("/", 1)[0] == listeners[k].rsplit("/", 1)[0]  # role folder and session
            assert matrix[k, j] == same
        # the speaker's own clip is never a listener reaction to it
        assert all(listeners[j] != ds.clip_path(k, "speaker") for j in np.flatnonzero(matrix[k]))


def _official_draw(listener_paths: list[str], gt_paths: dict[str, list[str]], seed: int) -> list[list[str]]:
    """ReactionDataset.__getitem__ (react_2025.py) for the test split, samples in order, global random."""
    state = random.getstate()
    random.seed(seed)
    try:
        out = []
        for listener in listener_paths:
            gt = gt_paths[listener.rsplit("/", 1)[0]]
            c = gt if len(gt) <= 1 else [p for p in gt if p != listener]
            out.append([listener] + (random.sample(c, 9) if len(c) >= 9 else random.choices(c, k=9)))
        return out
    finally:
        random.setstate(state)


def test_nine_target_draw_follows_the_official_code_and_the_seed(tmp_path):
    root = _hand_tree(tmp_path / "hand", {"session0": 12, "session10": 1, "session2": 3})
    ds = MarsDataset(root, "test", window_frames=1000, normalize_3dmm=None)
    assert ds.appropriateness_kind == "test-draw" and ds.draw_seed == 1234
    listeners = [ds.pair_path(p, "listener") for p in range(len(ds.pairs))]
    gt = {}
    for path in sorted(set(listeners)):  # every clip of a role folder is some pair's listener
        gt.setdefault(path.rsplit("/", 1)[0], []).append(path)
    targets = ds.test_targets()
    assert targets == _official_draw(listeners, gt, 1234)
    assert targets == MarsDataset(root, "test", window_frames=1000).test_targets()
    assert targets != MarsDataset(root, "test", window_frames=1000, draw_seed=5).test_targets()
    big = [t for t in targets if t[0].split("/")[1] == "session0"]
    assert all(len(set(t)) == 10 for t in big)  # 11 others: drawn without replacement
    assert all(set(t) == {t[0]} for t in targets if t[0].split("/")[1] == "session10")
    matrix = ds.appropriateness()
    for k in range(len(ds)):
        for j in range(len(ds)):
            assert matrix[k, j] == (listeners[j] in targets[k])
    # sessions by number (session2 before session10), stems sorted within one
    assert [p.split("/")[1] for p in ds.pairs[:16]] == ["session0"] * 12 + ["session2"] * 3 + ["session10"]
    assert ds.pairs[:2] == ["speaker/session0/Camera-00", "speaker/session0/Camera-01"]


def test_draw_branches():
    rng = random.Random(0)
    assert draw_test_targets("l/s/a", ["l/s/a"], rng) == ["l/s/a"] * 10
    drawn = draw_test_targets("l/s/a", ["l/s/a", "l/s/b", "l/s/c"], rng)
    assert drawn[0] == "l/s/a" and set(drawn[1:]) <= {"l/s/b", "l/s/c"} and len(drawn) == 10


def test_threedmm_normalisation_and_2026_tables(mars_root):
    ds = MarsDataset(mars_root, "val", window_frames=WINDOW)
    mean, std = np.load(mars_root / "mean_face.npy"), np.load(mars_root / "std_face.npy")
    raw = np.load(mars_root / "val" / "coefficients" / f"{ds.clip_path(0, 'listener')}.npy")
    start, valid = ds.window(0)
    np.testing.assert_allclose(ds.threedmm("listener")[0, :valid], ((raw - mean) / std)[start:start + valid], rtol=1e-5, atol=1e-5)
    raw_ds = MarsDataset(mars_root, "val", window_frames=WINDOW, normalize_3dmm=None)
    np.testing.assert_array_equal(raw_ds.threedmm("listener")[0, :valid], raw[start:start + valid])

    listener = ds.clip_path(1, "listener")
    role, session, stem = listener.split("/")
    with open(mars_root / "val" / "personality" / f"{role}.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["video_name"] == f"{stem}.mp4" and r["session"] == session)
    sample = ds[1]
    expected = [(float(row[t]) - 1) / 4 for t in ("Extraversion", "Agreeableness", "Conscientiousness", "Neuroticism", "Openness")]
    np.testing.assert_allclose(sample.listener_personality, expected)
    with open(mars_root / "val" / "eeg_processed" / f"{listener}.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    start = ds.window(1)[0]
    for t in (0, 29, 30, WINDOW - 1):
        second = min((start + t) // 30, len(rows) - 1)
        assert sample.listener_eeg[t, 0] == pytest.approx(float(rows[second]["TP9"]) / 1000, rel=1e-6)
        assert sample.listener_eeg[t, 5] == pytest.approx(float(rows[second][EEG_COLUMNS[5]]), rel=1e-6)
    assert sample.listener_eeg_mask.all()


def test_checker_names_planted_faults(mars_root, tmp_path):
    assert check_mars(mars_root) == []
    broken = Path(shutil.copytree(mars_root, tmp_path / "broken"))
    ds = MarsDataset(broken, "val", window_frames=WINDOW)
    nan_file = broken / "val" / "facial-attributes" / f"{ds.clip_path(0, 'listener')}.npy"
    values = np.load(nan_file)
    values[3, 16] = np.nan
    np.save(nan_file, values)
    missing = broken / "test" / "coefficients" / "speaker" / "session0" / "clip-2.npy"
    missing.unlink()
    orphan = broken / "train" / "facial-attributes" / "speaker" / "session0" / "clip-9.npy"
    np.save(orphan, np.load(nan_file))
    problems: dict[str, list[str]] = {}
    for problem in check_mars(broken):
        problems.setdefault(problem.path, []).append(problem.message)
    assert any("NaN/Inf values (first at frame 3)" in m for m in problems[str(nan_file)])
    assert any("not found" in m for m in problems[str(missing)])
    assert any("no listener clip with the same stem in session0" in m for m in problems[str(orphan)])
    orphan_coefficients = broken / "train" / "coefficients" / "speaker" / "session0" / "clip-9.npy"
    assert any("not found" in m for m in problems[str(orphan_coefficients)])
