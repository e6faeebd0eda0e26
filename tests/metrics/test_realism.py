"""FRRea: the default emotion-window feature space and the image FID with local Inception weights."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
from metric_references import emotion_sequences

from react_bench.metrics.frechet import frechet_distance
from react_bench.metrics.realism import (
    FRREA_FEATURE_VERSION,
    build_fid_inception,
    fr_rea,
    fr_rea_images,
    reaction_window_features,
)


def _window_features_loop(seqs: np.ndarray) -> np.ndarray:
    """The documented feature space, one window at a time: mean, std (ddof 0), mean |diff| per channel."""
    rows = []
    for seq in seqs.astype(np.float64):
        for w in range(seq.shape[0] // 25):
            win = seq[25 * w: 25 * (w + 1)]
            rows.append(np.concatenate([win.mean(0), win.std(0), np.abs(np.diff(win, axis=0)).mean(0)]))
    return np.array(rows)


def test_window_features_match_loop():
    seqs = emotion_sequences(np.random.default_rng(40), (3, 110))
    got = reaction_window_features(torch.from_numpy(seqs))
    assert got.shape == (3 * 4, 75)
    np.testing.assert_allclose(got.numpy(), _window_features_loop(seqs), rtol=1e-12, atol=1e-15)


def test_fr_rea_is_the_frechet_distance_of_window_features():
    rng = np.random.default_rng(41)
    preds = emotion_sequences(rng, (6, 2, 200))
    targets = emotion_sequences(rng, (6, 200))
    want = frechet_distance(_window_features_loop(targets), _window_features_loop(preds[:, 0]))
    assert fr_rea(preds, targets) == pytest.approx(want, rel=1e-6)  # 48 windows < 75 dims: singular S, sqrt of ~0 eigenvalues
    all_gens = _window_features_loop(preds.reshape(12, 200, 25))
    assert fr_rea(preds, targets, all_generations=True) == pytest.approx(
        frechet_distance(_window_features_loop(targets), all_gens), rel=1e-6)  # 48 windows < 75 dims: singular S, sqrt of ~0 eigenvalues


def test_fr_rea_ranks_a_frozen_baseline_worse_than_real_data():
    rng = np.random.default_rng(42)
    targets = emotion_sequences(rng, (10, 250))
    other_real = emotion_sequences(rng, (10, 1, 250))
    frozen = np.repeat(targets.mean(axis=0, keepdims=True), 10, axis=0)[:, None]  # a MeanSeq-like baseline
    assert fr_rea(other_real, targets) < fr_rea(frozen, targets)


def test_unknown_feature_space_raises():
    x = np.zeros((2, 1, 50, 25), dtype=np.float32)
    with pytest.raises(ValueError, match="feature_space must be 'emotion-1s-windows"):
        fr_rea(x, x[:, 0], feature_space="inception")
    assert FRREA_FEATURE_VERSION.endswith("-v1")


def test_missing_inception_weights_is_a_clear_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="inception_weights: no file at .*react-bench never downloads"):
        build_fid_inception(tmp_path / "missing.pth")


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory):
    """A randomly initialised FID Inception saved as a state dict (stands in for the real weights)."""
    import torchvision
    from pytorch_fid import inception as fid_inception

    torch.manual_seed(0)
    with mock.patch.object(fid_inception, "load_state_dict_from_url", lambda *a, **k: {}), \
            mock.patch.object(torchvision.models.inception.Inception3, "load_state_dict", lambda *a, **k: None):
        model = fid_inception.fid_inception_v3()
    path = tmp_path_factory.mktemp("inception") / "pt_inception-random.pth"
    torch.save(model.state_dict(), path)
    return path


@pytest.mark.filterwarnings("ignore:.*disp.*:DeprecationWarning")
def test_fr_rea_images_matches_pytorch_fid(tmp_path, random_inception_weights):
    from PIL import Image
    from pytorch_fid import inception as fid_inception
    from pytorch_fid.fid_score import calculate_fid_given_paths

    rng = np.random.default_rng(43)
    for name, shift in (("real", 0), ("fake", 40)):
        (tmp_path / name).mkdir()
        for i in range(12):
            pixels = np.clip(rng.normal(120 + shift, 50, size=(8, 8, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{i:03d}.png")
    got = fr_rea_images(tmp_path / "real", tmp_path / "fake", inception_weights=random_inception_weights,
                        dims=64, batch_size=6, device="cpu")
    state = torch.load(random_inception_weights, weights_only=True)
    with mock.patch.object(fid_inception, "load_state_dict_from_url", lambda *a, **k: state):
        want = calculate_fid_given_paths([str(tmp_path / "real"), str(tmp_path / "fake")], 6, "cpu", 64, num_workers=0)
    assert got == pytest.approx(want, rel=1e-4)
    assert got > 0
