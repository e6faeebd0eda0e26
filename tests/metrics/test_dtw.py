"""DTW against tslearn and a plain Python dynamic program; invariants; the REACT group distance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from tslearn.metrics import cdist_dtw as tslearn_cdist_dtw
from tslearn.metrics import dtw as tslearn_dtw

from react_bench.metrics import _dtw_numba, _dtw_torch
from react_bench.metrics.dtw import cdist_dtw, dtw, pairwise_dtw

RTOL = 1e-9  # both sides accumulate in float64; only FMA contraction and summation order differ


def reference_dtw(x: np.ndarray, y: np.ndarray) -> float:
    """Textbook DTW, written from the definition: squared Euclidean local cost, sqrt of the path sum."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    acc = np.full((len(x) + 1, len(y) + 1), math.inf)
    acc[0, 0] = 0.0
    for i in range(1, len(x) + 1):
        for j in range(1, len(y) + 1):
            cost = float(np.sum((x[i - 1] - y[j - 1]) ** 2))
            acc[i, j] = cost + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return math.sqrt(acc[-1, -1])


def react_distance_tslearn(x: np.ndarray, y: np.ndarray) -> float:
    """SPEC-metrics.md: dtw(AU) / 15 + dtw(VA) + dtw(FE) / 8, with tslearn's dtw."""
    return tslearn_dtw(x[:, 0:15], y[:, 0:15]) / 15 + tslearn_dtw(x[:, 15:17], y[:, 15:17]) + tslearn_dtw(
        x[:, 17:25], y[:, 17:25]
    ) / 8


def sequences(max_frames: int = 40, max_channels: int = 5):
    """Pairs of float32 sequences with their own lengths and a shared channel count."""
    values = st.floats(-10, 10, width=32, allow_nan=False)

    @st.composite
    def pair(draw):
        c = draw(st.integers(1, max_channels))
        x = draw(arrays(np.float32, (draw(st.integers(1, max_frames)), c), elements=values))
        y = draw(arrays(np.float32, (draw(st.integers(1, max_frames)), c), elements=values))
        return x, y

    return pair()


@pytest.mark.parametrize("t1, t2, c", [(30, 30, 25), (37, 21, 3), (1, 9, 2), (50, 1, 1), (17, 60, 15)])
def test_dtw_matches_tslearn_and_reference(t1, t2, c):
    rng = np.random.default_rng(t1 * 100 + t2 + c)
    x = rng.random((t1, c)).astype(np.float32)
    y = rng.normal(size=(t2, c)).astype(np.float32)
    assert dtw(x, y) == pytest.approx(tslearn_dtw(x, y), rel=RTOL)
    assert dtw(x, y) == pytest.approx(reference_dtw(x, y), rel=RTOL)


def test_dtw_one_dimensional_series_and_torch_input():
    x = np.array([0.0, 1.0, 2.0, 5.0])
    y = torch.tensor([0.0, 2.0, 2.5])
    assert dtw(x, y) == pytest.approx(tslearn_dtw(x, y.numpy()), rel=RTOL)


@settings(max_examples=40, deadline=None)
@given(sequences())
def test_dtw_property_against_tslearn(pair):
    x, y = pair
    assert dtw(x, y) == pytest.approx(tslearn_dtw(x, y), rel=RTOL, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(sequences())
def test_dtw_invariants(pair):
    x, y = pair
    d = dtw(x, y)
    assert d >= 0.0
    assert dtw(x, x) == 0.0
    assert dtw(y, x) == pytest.approx(d, rel=1e-12, abs=1e-12)


def test_cdist_matches_tslearn_and_loop():
    rng = np.random.default_rng(3)
    X = rng.random((6, 20, 4)).astype(np.float32)
    Y = rng.random((11, 14, 4)).astype(np.float32)
    got = cdist_dtw(X, Y)
    assert got.shape == (6, 11) and got.dtype == np.float64
    np.testing.assert_allclose(got, tslearn_cdist_dtw(X, Y), rtol=RTOL)
    loop = np.array([[dtw(a, b) for b in Y] for a in X])
    np.testing.assert_allclose(got, loop, rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 11),
    m=st.integers(1, 5),
    t1=st.integers(1, 30),
    t2=st.integers(1, 30),
    c=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_cdist_property_batched_equals_tslearn(n, m, t1, t2, c, seed):
    """Any number of pairs (idle SIMD lanes included) gives tslearn's matrix."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t1, c)).astype(np.float32)
    Y = rng.normal(size=(m, t2, c)).astype(np.float32)
    np.testing.assert_allclose(cdist_dtw(X, Y), tslearn_cdist_dtw(X, Y), rtol=RTOL, atol=1e-12)


def test_cdist_self_is_symmetric_and_matches_cdist_x_x():
    rng = np.random.default_rng(4)
    X = torch.from_numpy(rng.random((9, 25, 3)))
    alone = cdist_dtw(X)
    np.testing.assert_array_equal(np.diag(alone), 0.0)
    np.testing.assert_array_equal(alone, alone.T)
    np.testing.assert_allclose(alone, cdist_dtw(X, X), rtol=1e-12, atol=0)
    np.testing.assert_allclose(alone, tslearn_cdist_dtw(X.numpy()), rtol=RTOL)


def _react_inputs(n=2, g=3, m=4, t=24, seed=5):
    rng = np.random.default_rng(seed)
    preds = rng.random((n, g, t, 25)).astype(np.float32)
    targets = rng.random((m, t, 25)).astype(np.float32)
    return preds, targets


def test_pairwise_dtw_equals_three_group_formula():
    preds, targets = _react_inputs()
    got = pairwise_dtw(preds, targets)
    assert got.shape == (2, 3, 4) and got.dtype == torch.float64
    ref = np.array([[[react_distance_tslearn(preds[k, i], tg) for tg in targets] for i in range(3)] for k in range(2)])
    np.testing.assert_allclose(got.numpy(), ref, rtol=RTOL)


def test_pairwise_dtw_mask_gives_inf_and_same_values():
    preds, targets = _react_inputs(n=3, g=2, m=5, seed=6)
    appropriate = np.array([[1, 0, 0, 1, 0], [0, 1, 1, 1, 1], [0, 0, 0, 0, 1]])
    full = pairwise_dtw(preds, targets)
    masked = pairwise_dtw(preds, targets, appropriate)
    keep = torch.from_numpy(appropriate.astype(bool))[:, None, :].expand_as(full)
    assert torch.isinf(masked[~keep]).all()
    torch.testing.assert_close(masked[keep], full[keep], rtol=0, atol=0)


def test_pairwise_dtw_full_length_clip():
    """One case at the challenge's T = 750, few pairs."""
    preds, targets = _react_inputs(n=1, g=2, m=2, t=750, seed=7)
    got = pairwise_dtw(torch.from_numpy(preds), torch.from_numpy(targets)).numpy()
    ref = [[[react_distance_tslearn(preds[0, i], tg) for tg in targets] for i in range(2)]]
    np.testing.assert_allclose(got, ref, rtol=RTOL)


@pytest.mark.parametrize("t1, t2, groups", [(13, 13, [0, 15, 17, 25]), (9, 17, [0, 25]), (1, 5, [0, 2, 25])])
def test_torch_kernel_matches_numba_kernel(t1, t2, groups):
    rng = np.random.default_rng(t1 + t2)
    x = rng.random((5, t1, 25))
    y = rng.random((3, t2, 25))
    qi = np.array([0, 1, 2, 3, 4, 4, 0, 2, 1, 3, 0], dtype=np.int64)
    ti = np.array([0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1], dtype=np.int64)
    expected = _dtw_numba.pair_costs(x, y, qi, ti, np.asarray(groups, np.int64))
    got = _dtw_torch.pair_costs(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(qi), torch.from_numpy(ti), groups)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_pairwise_dtw_on_gpu_matches_cpu():
    preds, targets = _react_inputs(n=3, g=2, m=4, t=40, seed=8)
    appropriate = np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 1, 1]])
    cpu = pairwise_dtw(preds, targets, appropriate)
    gpu = pairwise_dtw(torch.from_numpy(preds).cuda(), torch.from_numpy(targets).cuda(), appropriate)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-12, atol=0)
    on_request = pairwise_dtw(preds, targets, appropriate, device="cuda")
    torch.testing.assert_close(on_request.cpu(), cpu, rtol=1e-12, atol=0)
    np.testing.assert_allclose(cdist_dtw(preds[0], device="cuda"), cdist_dtw(preds[0]), rtol=1e-12)


# --- bad input ------------------------------------------------------------------------------------
def test_dtw_rejects_bad_input():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"x and y must have the same number of channels C; got 3 and 2"):
        dtw(x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match=r"y must be a \(T, C\) sequence; got shape \(2, 10, 3\)"):
        dtw(x, np.zeros((2, 10, 3)))
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN or Inf values"):
        dtw(bad, x)
    with pytest.raises(ValueError, match=r"x must have at least one frame and one channel; got shape \(0, 3\)"):
        dtw(np.zeros((0, 3)), x)


def test_cdist_rejects_bad_input():
    X = np.zeros((4, 10, 3))
    with pytest.raises(ValueError, match=r"X must be a \(n, T, C\) set of sequences; got shape \(1, 4, 10, 3\)"):
        cdist_dtw(X[None])
    with pytest.raises(ValueError, match="X and Y must have the same number of channels C; got 3 and 5"):
        cdist_dtw(X, np.zeros((2, 10, 5)))
    Y = np.zeros((2, 10, 3))
    Y[1, 0, 0] = np.inf
    with pytest.raises(ValueError, match="Y contains 1 NaN or Inf values"):
        cdist_dtw(X, Y)


def test_pairwise_dtw_rejects_bad_input():
    preds, targets = _react_inputs()
    with pytest.raises(ValueError, match=r"preds must be \(N, G, T, 25\).*got shape \(3, 24, 25\)"):
        pairwise_dtw(preds[0], targets)
    with pytest.raises(ValueError, match="targets must have 25 channels in its last axis.*got 17"):
        pairwise_dtw(preds, targets[..., :17])
    with pytest.raises(ValueError, match="preds and targets must have the same number of frames T; got 24 and 20"):
        pairwise_dtw(preds, targets[:, :20])
    with pytest.raises(ValueError, match=r"appropriate must be an \(N, M\) = \(2, 4\) matrix.*got shape \(2, 3\)"):
        pairwise_dtw(preds, targets, np.ones((2, 3)))
