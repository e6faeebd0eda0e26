"""Synthetic face encoder and the per-clip feature cache of ReactDataset."""

from __future__ import annotations

import numpy as np
import pytest

from react_bench.constants import CLIP_FRAMES, EXPRESSION_SLICE, VA_SLICE
from react_bench.data import ReactDataset, available_extractors, make_extractor


@pytest.mark.parametrize("name, dim", [("face_va", 16), ("face_au", 64), ("face_fe", 32)])
def test_face_encoders_are_registered_with_their_default_dims(synthetic_root, name, dim):
    assert name in available_extractors()
    extractor = make_extractor(name)
    assert (extractor.name, extractor.dim, extractor.version) == (name, dim, "1")
    clip = ReactDataset(synthetic_root, "val").clip(0, "speaker")
    features = extractor(clip)
    assert features.shape == (CLIP_FRAMES, dim) and features.dtype == np.float32
    assert np.abs(features).max() < 1
    np.testing.assert_array_equal(features, make_extractor(name)(clip))
    assert not np.array_equal(features[:, :4], make_extractor(name, seed=1)(clip)[:, :4])
    assert make_extractor(name, dim=5)(clip).shape == (CLIP_FRAMES, 5)


def test_face_va_is_the_documented_projection(synthetic_root):
    clip = ReactDataset(synthetic_root, "val").clip(1, "listener")
    extractor = make_extractor("face_va")
    rng = np.random.default_rng([0, 1])
    weight, bias = rng.normal(0, 1 / np.sqrt(54), size=(54, 16)), rng.normal(0, 0.1, size=16)
    x = np.concatenate([clip.emotion[:, VA_SLICE], clip.threedmm[:, EXPRESSION_SLICE]], axis=1)
    np.testing.assert_allclose(extractor(clip), np.tanh(x @ weight + bias), atol=1e-6)


def test_unknown_extractor_lists_the_available_ones(synthetic_root):
    with pytest.raises(KeyError, match="unknown feature extractor 'face_xyz'; available: .*face_au"):
        ReactDataset(synthetic_root, "val").features("face_xyz", "speaker")


class _Counting:
    name, version, dim = "counting", "1", 3

    def __init__(self):
        self.calls = []

    def __call__(self, clip):
        self.calls.append(clip.path)
        return np.repeat(clip.emotion[:, VA_SLICE.start : VA_SLICE.start + 1], 3, axis=1)


def test_features_are_computed_once_per_clip_and_cached(synthetic_root, tmp_path):
    ds = ReactDataset(synthetic_root, "val", feature_cache=tmp_path)
    extractor = _Counting()
    speaker = ds.features(extractor, "speaker")
    assert speaker.shape == (6, CLIP_FRAMES, 3) and speaker.dtype == np.float32
    assert sorted(extractor.calls) == sorted(set(ds.clip_paths("speaker")))  # 6 clips, each once
    np.testing.assert_array_equal(speaker[:, :, 0], ds.emotion("speaker")[:, :, VA_SLICE.start])
    listener = ds.features(extractor, "listener")
    np.testing.assert_array_equal(listener[:3], speaker[3:])
    assert len(extractor.calls) == 6  # the second call read the cache
    cached = list((tmp_path / ds.fingerprint[:16] / "counting@1-3d").rglob("*.npy"))
    assert len(cached) == 6

    extractor.version = "2"  # a new version never reads the old cache
    ds.features(extractor, "speaker")
    assert len(extractor.calls) == 12


def test_feature_cache_follows_the_environment(synthetic_root, tmp_path, monkeypatch):
    monkeypatch.setenv("REACT_BENCH_CACHE", str(tmp_path / "env-cache"))
    ds = ReactDataset(synthetic_root, "val")
    assert ds.feature_cache_dir == tmp_path / "env-cache" / ds.fingerprint[:16]


def test_wrong_feature_shape_is_an_error(synthetic_root, tmp_path):
    class Bad(_Counting):
        name, dim = "bad", 4

    with pytest.raises(ValueError, match=r"feature extractor 'bad' returned \(750, 3\) for clip .*expected \(T, dim\) = \(750, 4\)"):
        ReactDataset(synthetic_root, "val", feature_cache=tmp_path).features(Bad(), "speaker")
