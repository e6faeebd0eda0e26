"""pairwise_ccc and fr_corr against the per-pair numpy reference (np.corrcoef, NaN -> 0)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_references import appropriateness, ccc_sequence, emotion_sequences, fr_corr_loop

from react_bench.metrics.ccc import fr_corr, pairwise_ccc


@pytest.mark.parametrize("binary_au", [True, False])
def test_pairwise_ccc_matches_per_pair_reference(binary_au):
    rng = np.random.default_rng(1)
    preds = emotion_sequences(rng, (3, 2, 80), binary_au=binary_au)
    targets = emotion_sequences(rng, (4, 80), binary_au=binary_au)
    got = pairwise_ccc(preds, targets).numpy()
    assert got.shape == (3, 2, 4) and got.dtype == np.float64
    want = np.array([[[ccc_sequence(targets[j], preds[k, i]) for j in range(4)] for i in range(2)] for k in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_fr_corr_matches_loop_and_per_speaker_mean():
    rng = np.random.default_rng(2)
    preds = emotion_sequences(rng, (5, 3, 60))
    targets = emotion_sequences(rng, (5, 60))
    appropriate = appropriateness(rng, 5, 5, per_row=3)
    want = fr_corr_loop(preds, targets, appropriate)
    per_speaker = fr_corr(preds, targets, appropriate, reduction="none")
    assert per_speaker.shape == (5,) and per_speaker.dtype == torch.float64
    np.testing.assert_allclose(per_speaker.numpy(), want, rtol=1e-5, atol=1e-7)
    scalar = fr_corr(preds, targets, appropriate)
    assert isinstance(scalar, float)
    assert scalar == pytest.approx(float(per_speaker.mean()), rel=1e-12)
    assert scalar == pytest.approx(want.mean(), rel=1e-5)
    assert fr_corr(preds, targets, appropriate, per_generation=True) == pytest.approx(scalar / 3, rel=1e-12)


def test_constant_channel_contributes_zero_under_react2024():
    rng = np.random.default_rng(3)
    x = emotion_sequences(rng, (1, 60), binary_au=False)[0]
    y = x.copy()
    x[:, 4] = 0.0
    y[:, 4] = 0.0  # identical constant channel in both
    ccc = float(pairwise_ccc(x[None, None], y[None])[0, 0, 0])
    # every other channel is identical, so its CCC is 2 var / (2 var + 1e-8)
    others = [2 * np.var(x[:, c]) / (2 * np.var(x[:, c]) + 1e-8) for c in range(25) if c != 4]
    assert ccc == pytest.approx(sum(others) / 25, rel=1e-6)
    assert ccc == pytest.approx(ccc_sequence(y, x), rel=1e-6)


def test_corrected_protocol_handles_constant_channels():
    rng = np.random.default_rng(4)
    x = emotion_sequences(rng, (1, 60), binary_au=False)[0]
    y = x.copy()
    x[:, 4] = y[:, 4] = 0.25  # identical constants: perfect agreement
    x[:, 5], y[:, 5] = 0.0, 1.0  # different constants: no agreement
    got = pairwise_ccc(x[None, None], y[None], protocol="corrected")[0, 0, 0]
    per_channel = [1.0, 0.0] + [1.0] * 23  # identical varying channels: textbook CCC 1 (no 1e-8)
    assert float(got) == pytest.approx(np.mean(per_channel), rel=1e-12)
    # constant vs varying: covariance 0 -> CCC 0 in both protocols
    z = x.copy()
    z[:, 6] = 0.5
    react, corrected = (float(pairwise_ccc(z[None, None], y[None], protocol=p)[0, 0, 0]) for p in ("react2024", "corrected"))
    assert corrected == pytest.approx((23 - 1 + 1) / 25, rel=1e-12)  # channels 4 (1), 5 (0), 6 (0), 22 others (1)
    assert react < corrected


def test_corrected_equals_react2024_without_constant_channels():
    rng = np.random.default_rng(5)
    preds = emotion_sequences(rng, (2, 2, 50), binary_au=False)
    targets = emotion_sequences(rng, (3, 50), binary_au=False)
    a = pairwise_ccc(preds, targets).numpy()
    b = pairwise_ccc(preds, targets, protocol="corrected").numpy()
    np.testing.assert_allclose(a, b, rtol=1e-4)  # only the 1e-8 differs (low-variance channels feel it)
    assert not np.array_equal(a, b)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 3),
    g=st.integers(1, 3),
    t=st.integers(2, 12),
    constant=st.lists(st.integers(0, 24), max_size=4),
)
def test_pairwise_ccc_hypothesis(seed, n, g, t, constant):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (n, g, t))
    targets = emotion_sequences(rng, (2, t))
    preds[..., constant] = np.float32(rng.random())
    got = pairwise_ccc(preds, targets)
    want = np.array([[[ccc_sequence(targets[j], preds[k, i]) for j in range(2)] for i in range(g)] for k in range(n)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-7)
    assert bool((got.abs() <= 1 + 1e-12).all())
    # CCC is symmetric: swapping roles (targets as predictions) gives the transpose
    swapped = pairwise_ccc(targets[:, None], preds.reshape(n * g, t, 25))
    np.testing.assert_allclose(swapped[:, 0].numpy().T.reshape(n, g, 2), got.numpy(), rtol=1e-10, atol=1e-12)


def test_fr_corr_range_is_sum_over_generations():
    rng = np.random.default_rng(6)
    targets = emotion_sequences(rng, (3, 40), binary_au=False)
    preds = np.repeat(targets[:, None], 4, axis=1)
    value = fr_corr(preds, targets, np.eye(3))
    assert 3.99 < value <= 4.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), protocol=st.sampled_from(["react2024", "corrected"]))
def test_fr_corr_invariants(seed, protocol):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (3, 2, 20))
    targets = emotion_sequences(rng, (4, 20))
    a = appropriateness(rng, 3, 4, per_row=2)
    value = fr_corr(preds, targets, a, protocol=protocol)
    perm = rng.permutation(4)  # renaming the targets (and the matrix columns with them) changes nothing
    assert fr_corr(preds, targets[perm], a[:, perm], protocol=protocol) == pytest.approx(value, rel=1e-12)
    # more appropriate reactions can only raise the max
    assert fr_corr(preds, targets, np.ones_like(a), protocol=protocol) >= value - 1e-12
    assert -2 <= value <= 2
