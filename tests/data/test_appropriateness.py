"""The appropriateness matrix: built rule against a per-pair loop, properties, official files."""

from __future__ import annotations

import math

import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from react_bench.data import APPROPRIATENESS_THRESHOLD, ReactDataset, build_appropriateness
from react_bench.utils import sha256_array


def _reference(speaker_emotion: np.ndarray, threshold: float, speaker_clips=None, listener_clips=None) -> np.ndarray:
    """The documented rule, one pair at a time in plain Python."""
    n = len(speaker_emotion)
    means = [(float(np.mean(e[:, 15], dtype=np.float64)), float(np.mean(e[:, 16], dtype=np.float64))) for e in speaker_emotion]
    matrix = np.zeros((n, n), dtype=np.uint8)
    for k in range(n):
        for j in range(n):
            distance = math.sqrt(((means[k][0] - means[j][0]) ** 2 + (means[k][1] - means[j][1]) ** 2) / 2)
            matrix[k, j] = 1 if k == j or distance <= threshold else 0
            if k != j and speaker_clips is not None and listener_clips[j] == speaker_clips[k]:
                matrix[k, j] = 0  # rule 4: the speaker's own clip is not a reaction to it
    return matrix


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 10_000), threshold=st.floats(0.0, 0.5))
def test_built_matrix_properties_and_reference(n, seed, threshold):
    emotion = np.random.default_rng(seed).uniform(-1, 1, size=(n, 20, 25)).astype(np.float32)
    matrix = build_appropriateness(emotion, threshold=threshold)
    assert matrix.shape == (n, n) and matrix.dtype == np.uint8
    assert set(np.unique(matrix)) <= {0, 1}
    assert (np.diag(matrix) == 1).all() and (matrix.sum(axis=1) >= 1).all()
    np.testing.assert_array_equal(matrix, matrix.T)
    np.testing.assert_array_equal(matrix, _reference(emotion, threshold))


@settings(max_examples=30, deadline=None)
@given(dyads=st.integers(1, 6), seed=st.integers(0, 10_000), threshold=st.floats(0.0, 1.5))
def test_mirrored_partner_is_never_appropriate(dyads, seed, threshold):
    """Rule 4 on a mirrored split: sample k + D's listener is speaker k's own clip, so it never counts."""
    rng = np.random.default_rng(seed)
    persons = [f"s/{d}/p{i}" for d in range(dyads) for i in (1, 2)]
    speaker_clips = persons[0::2] + persons[1::2]
    listener_clips = persons[1::2] + persons[0::2]
    emotion = rng.uniform(-1, 1, size=(2 * dyads, 20, 25)).astype(np.float32)
    matrix = build_appropriateness(emotion, threshold=threshold, speaker_clips=speaker_clips, listener_clips=listener_clips)
    n = 2 * dyads
    assert all(matrix[k, (k + dyads) % n] == 0 for k in range(n))
    assert (np.diag(matrix) == 1).all()
    np.testing.assert_array_equal(matrix, matrix.T)
    np.testing.assert_array_equal(matrix, _reference(emotion, threshold, speaker_clips, listener_clips))
    without = build_appropriateness(emotion, threshold=threshold)  # rule 4 only removes entries
    assert (matrix <= without).all()


def test_clip_paths_must_come_in_pairs():
    emotion = np.zeros((2, 20, 25), dtype=np.float32)
    with pytest.raises(ValueError, match="both speaker_clips and listener_clips"):
        build_appropriateness(emotion, speaker_clips=["a", "b"])
    with pytest.raises(ValueError, match="one path per sample"):
        build_appropriateness(emotion, speaker_clips=["a"], listener_clips=["b"])


def test_synthetic_matrix_marks_own_listener_and_extra_reactions(synthetic_root):
    ds = ReactDataset(synthetic_root, "val")
    n, matrix = len(ds), ds.appropriateness()
    r = (matrix.shape[1] - n) // n
    assert ds.appropriateness_source == "extra-reactions" and r >= 1 and matrix.shape == (n, n * (1 + r))
    assert len(ds.targets()) == matrix.shape[1]
    for k in range(n):
        assert set(np.flatnonzero(matrix[k])) == {k, *range(n + k * r, n + (k + 1) * r)}


def test_dataset_matrix(corruptible_root):
    shutil.rmtree(corruptible_root / "val" / "Extra_reactions")  # without extras: the rule
    ds = ReactDataset(corruptible_root, "val")
    assert ds.appropriateness_source == "rule"
    matrix = ds.appropriateness()
    assert matrix.shape == (len(ds), len(ds)) and matrix.dtype == np.uint8
    assert (np.diag(matrix) == 1).all()
    expected = _reference(ds.emotion("speaker"), APPROPRIATENESS_THRESHOLD, ds.clip_paths("speaker"), ds.clip_paths("listener"))
    np.testing.assert_array_equal(matrix, expected)
    half = len(ds) // 2
    assert all(matrix[k, (k + half) % len(ds)] == 0 for k in range(len(ds)))
    assert ds.appropriateness_sha256 == sha256_array(matrix)


def test_official_file_is_used_when_present(corruptible_root):
    official = np.eye(6, dtype=bool)
    official[0, 3] = official[4, 1] = True
    np.save(corruptible_root / "neighbour_emotion_val.npy", official)
    ds = ReactDataset(corruptible_root, "val")
    np.testing.assert_array_equal(ds.appropriateness(), official.astype(np.uint8))
    assert ds.appropriateness_sha256 == sha256_array(official.astype(np.uint8))


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.eye(5), r"has shape \(5, 5\); expected \(6, 6\)"),
        (np.eye(6) * 2, r"must hold only 0 and 1; found \[2\.0\]"),
        (np.diag([1, 1, 0, 1, 1, 1]), r"has 1 empty rows \(speakers \[2\]"),
    ],
)
def test_bad_official_file_is_rejected(corruptible_root, matrix, message):
    path = corruptible_root / "neighbour_emotion_val.npy"
    np.save(path, matrix)
    with pytest.raises(ValueError, match=rf"appropriateness matrix {path} {message}"):
        ReactDataset(corruptible_root, "val").appropriateness()
