"""frechet_distance against pytorch-fid's calculate_frechet_distance (scipy sqrtm) on the same features."""

from __future__ import annotations

import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance

from react_bench.metrics.frechet import frechet_distance


def _pytorch_fid(a: np.ndarray, b: np.ndarray) -> float:
    return float(calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)))


# scipy 1.17 deprecates sqrtm's disp= argument, which pytorch-fid passes; the reference is still scipy's.
pytestmark = pytest.mark.filterwarnings("ignore:.*disp.*:DeprecationWarning")


@pytest.mark.parametrize("d", [25, 58, 128])
def test_matches_pytorch_fid(d):
    rng = np.random.default_rng(d)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    a = rng.normal(size=(400, d)) @ mix
    b = rng.normal(size=(300, d)) @ (mix + 0.3 * rng.normal(size=(d, d)) / np.sqrt(d)) + 0.2
    got = frechet_distance(a, b)
    assert isinstance(got, float)
    assert got == pytest.approx(_pytorch_fid(a, b), rel=1e-8)


def test_singular_first_covariance_uses_the_eigen_fallback():
    rng = np.random.default_rng(30)
    a = rng.normal(size=(200, 25))
    a[:, 3] = 1.5  # a constant feature: S1 is singular, Cholesky fails
    a[:, 7] = a[:, 8]  # and a duplicated one
    b = rng.normal(size=(180, 25)) * 1.3
    assert frechet_distance(a, b) == pytest.approx(_pytorch_fid(a, b), rel=1e-6)


def test_fewer_samples_than_dimensions():
    rng = np.random.default_rng(31)
    a, b = rng.normal(size=(20, 58)), rng.normal(size=(30, 58)) + 0.1
    assert frechet_distance(a, b) == pytest.approx(_pytorch_fid(a, b), rel=1e-5)


def test_identical_sets_are_at_distance_zero_and_symmetric():
    rng = np.random.default_rng(32)
    a, b = rng.normal(size=(100, 10)), rng.normal(size=(80, 10)) * 2
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_bad_features_raise():
    with pytest.raises(ValueError, match="feats_a must be \\(n, d\\) feature vectors"):
        frechet_distance(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="same feature dimension d; got 3 and 4"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="feats_b must hold at least 2 samples"):
        frechet_distance(np.zeros((5, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="feats_a contains 1 NaN or Inf"):
        frechet_distance(np.array([[0.0], [np.nan]]), np.zeros((3, 1)))
