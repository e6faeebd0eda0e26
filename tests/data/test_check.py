"""`data check`: one test per kind of damage; every problem names its file; the CLI exits 1."""

from __future__ import annotations

import csv
import re
import wave

import numpy as np
import pandas as pd

from react_bench.cli.main import main
from react_bench.data import ReactDataset, check_dataset


def _file(root, modality, k=0, role="speaker", split="val"):
    ds = ReactDataset(root, split)
    return ds.file(modality, ds.clip_path(k, role))


def _only_problem(root, path, pattern):
    problems = check_dataset(root)
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].path == str(path)
    assert re.search(pattern, problems[0].message), problems[0].message
    return problems[0]


def test_clean_dataset_has_no_problems(synthetic_root):
    assert check_dataset(synthetic_root) == []


def test_truncated_emotion_csv(corruptible_root):
    path = _file(corruptible_root, "emotion")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:400]))
    _only_problem(corruptible_root, path, r"truncated: 399 rows, expected 751")


def test_nan_in_3dmm(corruptible_root):
    path = _file(corruptible_root, "3dmm", k=1, role="listener")
    array = np.load(path)
    array[10, 3] = np.nan
    np.save(path, array)
    _only_problem(corruptible_root, path, r"1 NaN/Inf values \(first at row 10\)")


def test_split_row_pointing_to_a_missing_session(corruptible_root):
    path = corruptible_root / "test.csv"
    rows = list(csv.reader(path.open()))
    rows[2][1] = "synth/no_such_session/person1/2"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    _only_problem(corruptible_root, path, r"line 3 points to clip 'synth/no_such_session/person1/2', which has no files")


def test_non_binary_au(corruptible_root):
    path = _file(corruptible_root, "emotion", k=2, role="listener")
    frame = pd.read_csv(path)
    frame["AU12"] = frame["AU12"].astype(float)
    frame.loc[5, "AU12"] = 0.5
    frame.to_csv(path, index=False)
    _only_problem(corruptible_root, path, r"1 AU values are not 0 or 1 \(e\.g\. 0\.5\)")


def test_expressions_not_summing_to_one(corruptible_root):
    path = _file(corruptible_root, "emotion", split="train")
    frame = pd.read_csv(path)
    frame.loc[7, "Happy"] += 0.2
    frame.to_csv(path, index=False)
    _only_problem(corruptible_root, path, r"1 rows whose 8 expression probabilities do not sum to 1 \(tolerance 0\.01\)")


def test_unreadable_wav(corruptible_root):
    path = _file(corruptible_root, "audio", k=1)
    path.write_bytes(b"not a wav file at all")
    _only_problem(corruptible_root, path, r"not a readable PCM wav")


def test_missing_wav(corruptible_root):
    path = _file(corruptible_root, "audio", split="test", role="listener")
    path.unlink()
    _only_problem(corruptible_root, path, r"not found")


def test_truncated_wav(corruptible_root):
    path = _file(corruptible_root, "audio", split="test")
    with wave.open(str(path), "rb") as handle:
        params, frames = handle.getparams(), handle.readframes(16_000 * 10)
    with wave.open(str(path), "wb") as handle:
        handle.setparams(params)
        handle.writeframes(frames)
    _only_problem(corruptible_root, path, r"truncated: 10\.00 s of audio, expected at least 30 s")


def test_wrong_column_count(corruptible_root):
    path = _file(corruptible_root, "emotion", k=3)
    pd.read_csv(path).iloc[:, :24].to_csv(path, index=False)
    _only_problem(corruptible_root, path, r"has 24 columns; expected 25")


def test_wrong_3dmm_shape(corruptible_root):
    path = _file(corruptible_root, "3dmm", k=4)
    np.save(path, np.zeros((751, 57), dtype=np.float32))
    _only_problem(corruptible_root, path, r"has shape \(751, 57\); expected \(frames, 58\)")


def test_missing_split_file(corruptible_root):
    (corruptible_root / "train.csv").unlink()
    _only_problem(corruptible_root, corruptible_root / "train.csv", r"not found")


def test_three_problems_are_all_reported_and_the_cli_fails(corruptible_root, capsys):
    truncated = _file(corruptible_root, "emotion", k=0)
    truncated.write_text("".join(truncated.read_text().splitlines(keepends=True)[:300]))
    nan_file = _file(corruptible_root, "3dmm", k=1, split="test")
    array = np.load(nan_file)
    array[0, 0] = np.nan
    np.save(nan_file, array)
    split = corruptible_root / "train.csv"
    split.write_text(split.read_text() + "99,synth/ghost_session/person1/1,synth/ghost_session/person2/1\n")

    problems = check_dataset(corruptible_root)
    assert {p.path for p in problems} == {str(truncated), str(nan_file), str(split)}
    assert len(problems) == 4  # the ghost row has two missing clips

    assert main(["data", "check", str(corruptible_root)]) == 1
    out = capsys.readouterr().out
    for path in (truncated, nan_file, split):
        assert f"problem: {path}:" in out
    assert "dyads" in out


def test_cli_exit_zero_and_summary(synthetic_root, capsys):
    assert main(["data", "check", str(synthetic_root)]) == 0
    out = capsys.readouterr().out
    assert "val  : 3 dyads (6 mirrored samples), frames per clip 751, emotion 25 ch, 3DMM 58 coef" in out
    assert "density" in out and "no problems found" in out


# --- extra true reactions (synthetic val/test) -----------------------------------------------


def _extra_file(root, k=0, split="val"):
    from react_bench.data.extra_reactions import extra_reactions_file

    ds = ReactDataset(root, split)
    return extra_reactions_file(root, split, ds.clip_path(k, "listener"))


def _rewrite_extra(path, au, affect):
    with path.open("wb") as handle:
        np.savez_compressed(handle, au=au, affect=affect)


def test_extra_reactions_exist_for_every_val_and_test_sample(synthetic_root):
    from react_bench.data.extra_reactions import EXTRA_REACTIONS, read_extra_reactions

    for split in ("val", "test"):
        ds = ReactDataset(synthetic_root, split)
        for k in range(len(ds)):
            assert read_extra_reactions(synthetic_root, split, ds.clip_path(k, "listener")).shape == (EXTRA_REACTIONS, 751, 25)
    assert not (synthetic_root / "train" / "Extra_reactions").exists()


def test_missing_extra_reactions(corruptible_root):
    path = _extra_file(corruptible_root, k=4, split="test")
    path.unlink()
    _only_problem(corruptible_root, path, r"extra reactions .*not found|not found")


def test_unreadable_extra_reactions(corruptible_root):
    path = _extra_file(corruptible_root, k=1)
    path.write_bytes(b"not an npz archive")
    _only_problem(corruptible_root, path, r"not a readable \.npz with arrays 'au' and 'affect'")


def test_truncated_extra_reactions(corruptible_root):
    path = _extra_file(corruptible_root, k=2)
    with np.load(path) as archive:
        au, affect = archive["au"], archive["affect"]
    _rewrite_extra(path, au[:, :400], affect[:, :400])
    _only_problem(corruptible_root, path, r"holds shape \(10, 400, 25\); expected \(10, 751, 25\)")


def test_wrong_number_of_extra_reactions(corruptible_root):
    path = _extra_file(corruptible_root, k=3, split="test")
    with np.load(path) as archive:
        au, affect = archive["au"], archive["affect"]
    _rewrite_extra(path, au[:7], affect[:7])
    _only_problem(corruptible_root, path, r"holds shape \(7, 751, 25\); expected \(10, 751, 25\)")


def test_nan_in_extra_reactions(corruptible_root):
    path = _extra_file(corruptible_root, k=5)
    with np.load(path) as archive:
        au, affect = archive["au"], archive["affect"].copy()
    affect[2, 30, 1] = np.nan
    _rewrite_extra(path, au, affect)
    _only_problem(corruptible_root, path, r"1 NaN/Inf values \(first in reaction 2, row 30\)")


def test_extra_reactions_with_mismatched_arrays(corruptible_root):
    path = _extra_file(corruptible_root, k=0, split="test")
    with np.load(path) as archive:
        au, affect = archive["au"], archive["affect"]
    _rewrite_extra(path, au, affect[:, :, :9])
    _only_problem(corruptible_root, path, r"has arrays au \(10, 751, 15\) and affect \(10, 751, 9\)")
