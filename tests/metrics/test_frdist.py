"""FRDist against a loop written from the spec with tslearn's dtw; exact early abandoning; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tslearn.metrics import dtw as tslearn_dtw

from react_bench.metrics.frdist import _fr_dist_numba, fr_dist

RTOL = 1e-9


def fr_dist_reference(preds: np.ndarray, targets: np.ndarray, appropriate: np.ndarray) -> np.ndarray:
    """SPEC-metrics.md, FRDist, literally: per speaker k, sum over generations i of the min over the
    appropriate targets j of dtw(AU) / 15 + dtw(VA) + dtw(FE) / 8. Returns ``(N,)``."""
    per_speaker = []
    for k in range(preds.shape[0]):
        total = 0.0
        for i in range(preds.shape[1]):
            x = preds[k, i]
            distances = []
            for j in range(targets.shape[0]):
                if appropriate[k, j] == 1:
                    y = targets[j]
                    distances.append(
                        tslearn_dtw(x[:, 0:15], y[:, 0:15]) / 15
                        + tslearn_dtw(x[:, 15:17], y[:, 15:17])
                        + tslearn_dtw(x[:, 17:25], y[:, 17:25]) / 8
                    )
            total += min(distances)
        per_speaker.append(total)
    return np.array(per_speaker)


def _inputs(n=3, g=4, m=5, t=30, seed=0, density=0.5):
    rng = np.random.default_rng(seed)
    preds = rng.random((n, g, t, 25)).astype(np.float32)
    targets = rng.random((m, t, 25)).astype(np.float32)
    appropriate = (rng.random((n, m)) < density).astype(np.int64)
    appropriate[np.arange(n), np.arange(n) % m] = 1  # every speaker has at least one
    return preds, targets, appropriate


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_fr_dist_matches_spec_loop(protocol):
    preds, targets, appropriate = _inputs()
    ref = fr_dist_reference(preds, targets, appropriate)
    per = fr_dist(preds, targets, appropriate, protocol=protocol, reduction="none")
    assert isinstance(per, torch.Tensor) and per.dtype == torch.float64 and per.shape == (3,)
    np.testing.assert_allclose(per.numpy(), ref, rtol=RTOL)
    mean = fr_dist(torch.from_numpy(preds), torch.from_numpy(targets), appropriate, protocol=protocol)
    assert isinstance(mean, float)
    assert mean == pytest.approx(ref.mean(), rel=RTOL)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 4),
    g=st.integers(1, 3),
    m=st.integers(1, 5),
    t=st.integers(2, 25),
    seed=st.integers(0, 2**16),
    density=st.floats(0.0, 1.0),
)
def test_fr_dist_property_against_spec_loop(n, g, m, t, seed, density):
    preds, targets, appropriate = _inputs(n, g, m, t, seed, density)
    got = fr_dist(preds, targets, appropriate, reduction="none").numpy()
    np.testing.assert_allclose(got, fr_dist_reference(preds, targets, appropriate), rtol=RTOL)


def test_early_abandoning_is_exact_and_used():
    """Targets near some generations and far from others, so abandoning triggers; same bits either way."""
    rng = np.random.default_rng(11)
    n, g, m, t = 4, 10, 8, 60
    targets = rng.random((m, t, 25))
    targets[m // 2:] += 3.0  # far targets: abandoned early
    preds = targets[rng.integers(0, m // 2, (n, g))] + 0.05 * rng.normal(size=(n, g, t, 25))
    appropriate = np.ones((n, m), dtype=np.int64)
    p, tg = torch.from_numpy(preds), torch.from_numpy(targets)
    a = torch.from_numpy(appropriate.astype(bool))
    with_abandon, skipped = _fr_dist_numba(p, tg, a, abandon=True)
    without, none_skipped = _fr_dist_numba(p, tg, a, abandon=False)
    assert skipped > 0 and none_skipped == 0
    torch.testing.assert_close(with_abandon, without, rtol=0, atol=0)
    np.testing.assert_allclose(with_abandon.numpy(), fr_dist_reference(preds, targets, appropriate), rtol=RTOL)


def test_fr_dist_single_generation_and_single_target():
    preds, targets, _ = _inputs(n=2, g=1, m=1, t=12, seed=2)
    ones = np.ones((2, 1))
    np.testing.assert_allclose(
        fr_dist(preds, targets, ones, reduction="none").numpy(), fr_dist_reference(preds, targets, ones), rtol=RTOL
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fr_dist_on_gpu_matches_cpu():
    preds, targets, appropriate = _inputs(n=4, g=3, m=6, t=40, seed=9)
    cpu = fr_dist(preds, targets, appropriate, reduction="none")
    gpu = fr_dist(torch.from_numpy(preds).cuda(), torch.from_numpy(targets).cuda(), appropriate, reduction="none")
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-12, atol=0)


# --- bad input ------------------------------------------------------------------------------------
def test_fr_dist_rejects_bad_input():
    preds, targets, appropriate = _inputs()
    with pytest.raises(ValueError, match="protocol must be one of 'react2024', 'corrected'; got 'react2023'"):
        fr_dist(preds, targets, appropriate, protocol="react2023")
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'; got 'sum'"):
        fr_dist(preds, targets, appropriate, reduction="sum")
    with pytest.raises(ValueError, match=r"preds must be \(N, G, T, 25\).*Use preds\[:, None\]"):
        fr_dist(preds[:, 0], targets, appropriate)
    with pytest.raises(ValueError, match="preds and targets must have the same number of frames T; got 30 and 29"):
        fr_dist(preds, targets[:, 1:], appropriate)
    with pytest.raises(ValueError, match=r"appropriate must be an \(N, M\) = \(3, 5\) matrix.*got shape \(5, 3\)"):
        fr_dist(preds, targets, appropriate.T)
    empty = appropriate.copy()
    empty[2] = 0
    with pytest.raises(ValueError, match=r"appropriate has 1 empty row\(s\) \(speaker\(s\) 2\)"):
        fr_dist(preds, targets, empty)
    with pytest.raises(ValueError, match="appropriate must hold only 0 and 1"):
        fr_dist(preds, targets, appropriate * 2)
    bad = targets.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="targets contains 1 NaN or Inf values"):
        fr_dist(preds, bad, appropriate)
    with pytest.raises(ValueError, match=r"preds must have at least 2 frames \(T >= 2\); got T = 1"):
        fr_dist(preds[:, :, :1], targets[:, :1], appropriate)
