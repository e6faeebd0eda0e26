"""Official REACT2024 split matrices built from data_indices.csv and the all-data matrix.

The reference is a plain re-reading of tool/matrix_split.py (reactmultimodalchallenge/baseline_react2024):
string keys joined with os.path.join, a loop over every data row for every split row, the four
mirrored blocks filled one entry at a time.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from react_bench.constants import EMOTION_COLUMNS
from react_bench.data import ReactDataset
from react_bench.data.appropriateness import appropriateness_source, load_appropriateness
from react_bench.data.official_matrix import ALL_DATA_MATRIX_FILE, DATA_INDICES_FILE, build_official_matrix
from react_bench.metrics.ccc import fr_corr
from react_bench.metrics.frdist import fr_dist

FRAMES = 40

# (site as in data_indices.csv, session, clip); the split files below use other cases for the site.
CORPUS = [
    ("NoXI", "001_2016-03-17_Paris", "1"), ("NoXI", "001_2016-03-17_Paris", "10"),
    ("NoXI", "001_2016-03-17_Paris", "2"), ("NoXI", "005_2016-03-18_Paris", "1"),
    ("NoXI", "005_2016-03-18_Paris", "3"), ("Recola", "group-1", "1"), ("Recola", "group-1", "2"),
    ("UDIVA", "002003_animal", "1"), ("UDIVA", "002003_animal", "11"), ("NoXI", "009_2016-03-25_Paris", "4"),
]
VAL_ROWS = [
    ("NoXI/005_2016-03-18_Paris/Expert_video/3", "NoXI/005_2016-03-18_Paris/Novice_video/3"),
    ("RECOLA/group-1/P25/2", "RECOLA/group-1/P26/2"),
    ("NoXI/001_2016-03-17_Paris/Novice_video/10", "NoXI/001_2016-03-17_Paris/Expert_video/10"),
    ("UDIVA/animal/002003/FC1_A/11", "UDIVA/animal/002003/FC2_A/11"),
]


def _write_emotion(path: Path, rng: np.random.Generator) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    values = rng.uniform(0, 1, size=(FRAMES + 1, len(EMOTION_COLUMNS)))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EMOTION_COLUMNS)
        writer.writerows(values.round(4).tolist())


@pytest.fixture(scope="module")
def mock_root(tmp_path_factory) -> Path:
    """A REACT2024 tree with val.csv, Emotion files, data_indices.csv and the all-data matrix, no split matrix."""
    root = tmp_path_factory.mktemp("react2024-mock")
    rng = np.random.default_rng(14)
    with open(root / DATA_INDICES_FILE, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("site", "chat_index", "clip_index"))
        writer.writerows(CORPUS)
    size = 2 * len(CORPUS)
    all_matrix = (rng.uniform(size=(size, size)) < 0.35).astype(np.float32)
    np.fill_diagonal(all_matrix, 1)
    np.save(root / ALL_DATA_MATRIX_FILE, all_matrix)
    with open(root / "val.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("", "speaker_path", "listener_path"))
        writer.writerows((index, *row) for index, row in enumerate(VAL_ROWS))
    for row in VAL_ROWS:
        for clip in row:
            _write_emotion(root / "val" / "Emotion" / f"{clip}.csv", rng)
    return root


def _matrix_split_reference(root: Path, partition: str) -> np.ndarray:
    """tool/matrix_split.py's loop, in plain Python on csv rows."""
    with open(root / DATA_INDICES_FILE, newline="") as handle:
        data_rows = list(csv.reader(handle))[1:]  # header=None, then .drop(0)
    all_matrix = np.load(root / ALL_DATA_MATRIX_FILE)
    width = all_matrix.shape[0]
    with open(root / f"{partition}.csv", newline="") as handle:
        split_rows = list(csv.reader(handle))[1:]
    index_list = []
    for row in split_rows:
        items = row[1].split("/")
        if len(items) > 4:
            key = os.path.join(items[0].upper(), items[2] + "_" + items[1], items[4])
        else:
            key = os.path.join(items[0].upper(), items[1], items[3])
        for position, data_row in enumerate(data_rows):
            if key == os.path.join(data_row[0].upper(), data_row[1], data_row[2]):
                index_list.append(position)
    count = len(index_list)
    new = np.zeros((2 * count, 2 * count))
    for a, item in enumerate(index_list):
        for b, item_b in enumerate(index_list):
            new[a, b] = all_matrix[item, item_b]
            new[a, b + count] = all_matrix[item, item_b + width // 2]
            new[a + count, b] = all_matrix[item + width // 2, item_b]
            new[a + count, b + count] = all_matrix[item + width // 2, item_b + width // 2]
    return new


def test_built_matrix_equals_matrix_split_reference(mock_root):
    built = build_official_matrix(mock_root, "val")
    reference = _matrix_split_reference(mock_root, "val")
    assert built.shape == (2 * len(VAL_ROWS), 2 * len(VAL_ROWS)) and built.dtype == np.float64
    np.testing.assert_array_equal(built, reference)


def test_dataset_uses_built_matrix_and_names_its_source(mock_root):
    ds = ReactDataset(mock_root, "val", clip_frames=FRAMES)
    assert appropriateness_source(mock_root, "val") == "official-built"
    np.testing.assert_array_equal(ds.appropriateness(), _matrix_split_reference(mock_root, "val").astype(np.uint8))
    _, source = load_appropriateness(mock_root, "val", ds.emotion("speaker"))
    assert source == "official-built"


def test_scores_equal_those_under_the_official_split_file(mock_root, tmp_path):
    """FRCorr/FRDist with the built matrix equal those with neighbour_emotion_val.npy written by the reference."""
    with_file = Path(shutil.copytree(mock_root, tmp_path / "with-file"))
    np.save(with_file / "neighbour_emotion_val.npy", _matrix_split_reference(mock_root, "val"))
    (with_file / DATA_INDICES_FILE).unlink()
    (with_file / ALL_DATA_MATRIX_FILE).unlink()
    assert appropriateness_source(with_file, "val") == "official-file"

    built_ds = ReactDataset(mock_root, "val", clip_frames=FRAMES)
    file_ds = ReactDataset(with_file, "val", clip_frames=FRAMES)
    targets = built_ds.emotion("listener")
    preds = np.random.default_rng(3).uniform(0, 1, size=(len(built_ds), 3, FRAMES, 25)).astype(np.float32)
    for metric in (fr_corr, fr_dist):
        built_value = metric(preds, targets, built_ds.appropriateness())
        file_value = metric(preds, file_ds.emotion("listener"), file_ds.appropriateness())
        assert built_value == file_value


def test_without_official_files_the_rule_is_named(mock_root, tmp_path):
    bare = Path(shutil.copytree(mock_root, tmp_path / "bare"))
    (bare / ALL_DATA_MATRIX_FILE).unlink()
    assert appropriateness_source(bare, "val") == "rule"
    ds = ReactDataset(bare, "val", clip_frames=FRAMES)
    _, source = load_appropriateness(bare, "val", ds.emotion("speaker"),
                                     speaker_clips=ds.clip_paths("speaker"), listener_clips=ds.clip_paths("listener"))
    assert source == "rule"


def test_unmatched_split_row_is_an_error(mock_root, tmp_path):
    broken = Path(shutil.copytree(mock_root, tmp_path / "unmatched"))
    with open(broken / "val.csv", "a", newline="") as handle:
        csv.writer(handle).writerow((len(VAL_ROWS), "NoXI/077_2016-05-01_Paris/Expert_video/2", "NoXI/x/Novice_video/2"))
    with pytest.raises(ValueError, match=r"split row 4 .*'NOXI/077_2016-05-01_Paris/2'.* matches no row"):
        build_official_matrix(broken, "val")


def test_all_data_matrix_of_the_wrong_size_is_an_error(mock_root, tmp_path):
    broken = Path(shutil.copytree(mock_root, tmp_path / "wrong-size"))
    np.save(broken / ALL_DATA_MATRIX_FILE, np.ones((6, 6)))
    with pytest.raises(ValueError, match=r"shape \(6, 6\); expected \(20, 20\)"):
        build_official_matrix(broken, "val")
