"""Per-clip prediction folders (regnn/trainers.py's result-{j}.pth layout) and .npy files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from react_bench.data.io import mirrored_clips
from react_bench.data.predictions import load_predictions

DYADS = [
    ("NoXI/001_2016-03-17_Paris/Expert_video/1", "NoXI/001_2016-03-17_Paris/Novice_video/1"),
    ("RECOLA/group-1/P25/2", "RECOLA/group-1/P26/2"),
]
FRAMES = 30


@pytest.fixture
def folder(tmp_path):
    """``<pred>/val/<clip>/result-{j}.pth``: value = 100 * clip number + j, so each file is recognisable."""
    speakers, _ = mirrored_clips(DYADS)
    for number, clip in enumerate(sorted(speakers)):
        clip_dir = tmp_path / "pred" / "val" / clip
        clip_dir.mkdir(parents=True)
        for j in range(10):
            torch.save(torch.full((FRAMES + 5, 25), float(100 * number + j)), clip_dir / f"result-{j}.pth")
    return tmp_path / "pred"


def _expected(speakers):
    numbers = {clip: number for number, clip in enumerate(sorted(speakers))}
    values = np.array([[100 * numbers[clip] + j for j in range(10)] for clip in speakers], dtype=np.float32)
    return np.broadcast_to(values[:, :, None, None], (len(speakers), 10, FRAMES, 25))


def test_folder_in_mirrored_sample_order(folder):
    speakers, listeners = mirrored_clips(DYADS)
    preds = load_predictions(folder, speakers, FRAMES, split="val")
    assert preds.shape == (4, 10, FRAMES, 25) and preds.dtype == np.float32
    np.testing.assert_array_equal(preds, _expected(speakers))
    # sample k + D is the dyad of row k with the roles swapped: its speaker is row k's listener
    np.testing.assert_array_equal(preds[2], load_predictions(folder / "val", [listeners[0]], FRAMES)[0])


def test_npy_files_in_a_folder_and_a_single_array(folder, tmp_path):
    speakers, _ = mirrored_clips(DYADS)
    clip_dir = folder / "val" / speakers[1]
    for j in range(10):
        np.save(clip_dir / f"result-{j}.npy", torch.load(clip_dir / f"result-{j}.pth").numpy()[None])
        (clip_dir / f"result-{j}.pth").unlink()
    np.testing.assert_array_equal(load_predictions(folder / "val", speakers, FRAMES), _expected(speakers))
    array = np.random.default_rng(0).normal(size=(4, 10, FRAMES + 1, 25)).astype(np.float32)
    np.save(tmp_path / "preds.npy", array)
    np.testing.assert_array_equal(load_predictions(tmp_path / "preds.npy", speakers, FRAMES), array[:, :, :FRAMES])


def test_missing_clips_and_files_are_named(folder):
    speakers, _ = mirrored_clips(DYADS)
    (folder / "val" / speakers[0] / "result-3.pth").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 result files are missing \(e.g. .*Expert_video/1/result-3.pth"):
        load_predictions(folder, speakers, FRAMES, split="val")
    with pytest.raises(FileNotFoundError, match=r"1 of 5 speaker clips have no folder .*\(e.g. NoXI/x/P1/9\)"):
        load_predictions(folder / "val", speakers + ["NoXI/x/P1/9"], FRAMES)


def test_wrong_shapes_are_named(folder, tmp_path):
    speakers, _ = mirrored_clips(DYADS)
    bad = folder / "val" / speakers[2] / "result-0.pth"
    torch.save(torch.zeros(FRAMES, 24), bad)
    with pytest.raises(ValueError, match=rf"prediction file {bad} has shape \({FRAMES}, 24\); expected \(frames, 25\)"):
        load_predictions(folder / "val", speakers, FRAMES)
    torch.save(torch.zeros(FRAMES - 1, 25), bad)
    with pytest.raises(ValueError, match=f"has {FRAMES - 1} frames; expected at least {FRAMES}"):
        load_predictions(folder / "val", speakers, FRAMES)
    np.save(tmp_path / "short.npy", np.zeros((3, 10, FRAMES, 25)))
    with pytest.raises(ValueError, match=r"shape \(3, 10, 30, 25\); expected \(4, G, T, 25\)"):
        load_predictions(tmp_path / "short.npy", speakers, FRAMES)
