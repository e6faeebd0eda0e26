"""FREnergy, the energy score, against a plain-Python loop and its laws as hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_references import emotion_sequences

from react_bench.metrics.energy import _CHUNK_ELEMENTS, fr_energy


def _rms(x, y) -> float:
    total, count = 0.0, 0
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        for a, b in zip(row_x, row_y):
            total += (a - b) ** 2
            count += 1
    return math.sqrt(total / count)


def fr_energy_loop(preds, targets, appropriate) -> np.ndarray:
    """Plain loops over speakers, generations and appropriate targets: ``(N,)`` energy scores."""
    n, g = preds.shape[:2]
    out = []
    for k in range(n):
        marked = [j for j in range(len(targets)) if appropriate[k][j]]
        first = sum(_rms(preds[k, i], targets[j]) for i in range(g) for j in marked) / (g * len(marked))
        second = 0.0
        if g > 1:
            second = sum(_rms(preds[k, i], preds[k, i2]) for i in range(g) for i2 in range(g) if i != i2)
            second /= 2 * g * (g - 1)
        out.append(first - second)
    return np.array(out)


def _case(seed, n, g, m, t):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (n, g, t))
    targets = emotion_sequences(rng, (m, t))
    appropriate = (rng.random((n, m)) < 0.4).astype(np.uint8)
    appropriate[np.arange(n), rng.integers(0, m, size=n)] = 1  # no empty row
    return preds, targets, appropriate


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 4), g=st.integers(1, 4), m=st.integers(1, 5),
       t=st.integers(2, 7))
def test_matches_the_loop(seed, n, g, m, t):
    preds, targets, appropriate = _case(seed, n, g, m, t)
    per = fr_energy(preds, targets, appropriate, reduction="none")
    assert per.shape == (n,) and per.dtype == torch.float64
    np.testing.assert_allclose(per.numpy(), fr_energy_loop(preds, targets, appropriate), rtol=1e-10, atol=1e-12)
    assert fr_energy(preds, targets, appropriate) == pytest.approx(float(per.mean()), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), g=st.integers(1, 4), m=st.integers(1, 4),
       scale=st.floats(0.1, 10.0), shift=st.floats(-3.0, 3.0))
def test_laws(seed, g, m, scale, shift):
    preds, targets, appropriate = _case(seed, 3, g, m, 6)
    preds, targets = preds.astype(np.float64), targets.astype(np.float64)  # scaling float32 would round
    base = fr_energy(preds, targets, appropriate, reduction="none")
    # Non-negative: by the triangle inequality the spread term never exceeds the distance term.
    assert (base >= -1e-12).all()
    # d is a norm of differences: shift invariant, scale equivariant.
    shifted = fr_energy(preds + shift, targets + shift, appropriate, reduction="none")
    np.testing.assert_allclose(shifted.numpy(), base.numpy(), rtol=1e-9, atol=1e-9)
    scaled = fr_energy(preds * scale, targets * scale, appropriate, reduction="none")
    np.testing.assert_allclose(scaled.numpy(), scale * base.numpy(), rtol=1e-9, atol=1e-12)
    # The order of the generations and of the targets (with the matrix's columns) does not matter.
    rng = np.random.default_rng(seed)
    gen_order, target_order = rng.permutation(g), rng.permutation(m)
    permuted = fr_energy(preds[:, gen_order], targets[target_order], appropriate[:, target_order], reduction="none")
    np.testing.assert_allclose(permuted.numpy(), base.numpy(), rtol=1e-10, atol=1e-12)


def test_single_generation_is_the_mean_distance_and_a_perfect_copy_scores_zero():
    preds, targets, appropriate = _case(5, 2, 1, 3, 8)
    per = fr_energy(preds, targets, appropriate, reduction="none").numpy()
    for k in range(2):
        marked = np.flatnonzero(appropriate[k])
        expected = np.mean([np.sqrt(((preds[k, 0].astype(float) - targets[j]) ** 2).mean()) for j in marked])
        assert per[k] == pytest.approx(expected, rel=1e-12)
    assert fr_energy(targets[:1, None], targets[:1], [[1]]) == 0.0


def test_the_true_distribution_beats_its_mean():
    """Proper scoring: draws from the targets' own distribution score better than their average repeated."""
    rng = np.random.default_rng(0)
    centre = rng.random((4, 1, 1, 30, 25))
    draws = (centre + 0.3 * rng.standard_normal((4, 2, 10, 30, 25)))  # 10 targets + 10 generations per speaker
    targets = draws[:, 0].reshape(40, 30, 25)
    appropriate = np.kron(np.eye(4), np.ones((1, 10)))
    samples = draws[:, 1]
    mean = np.repeat(samples.mean(axis=1, keepdims=True), 10, axis=1)
    assert fr_energy(samples, targets, appropriate) < fr_energy(mean, targets, appropriate)


def test_chunked_pairs_equal_one_block(monkeypatch):
    from react_bench.metrics import energy

    preds, targets, appropriate = _case(9, 3, 3, 4, 10)
    whole = fr_energy(preds, targets, appropriate, reduction="none")
    monkeypatch.setattr(energy, "_CHUNK_ELEMENTS", 10 * 25)  # one pair per block
    np.testing.assert_array_equal(fr_energy(preds, targets, appropriate, reduction="none").numpy(), whole.numpy())
    assert _CHUNK_ELEMENTS > 10 * 25


def test_validation_names_the_fix():
    preds, targets, appropriate = _case(1, 2, 2, 3, 5)
    with pytest.raises(ValueError, match="Did you forget the generations axis G"):
        fr_energy(preds[:, 0], targets, appropriate)
    with pytest.raises(ValueError, match=r"appropriate must be an \(N, M\) = \(2, 3\) matrix"):
        fr_energy(preds, targets, appropriate[:, :2])
    empty = appropriate.copy()
    empty[1] = 0
    with pytest.raises(ValueError, match=r"appropriate has 1 empty row\(s\) \(speaker\(s\) 1\)"):
        fr_energy(preds, targets, empty)
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'"):
        fr_energy(preds, targets, appropriate, reduction="sum")
    bad = preds.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="preds contains 1 NaN or Inf values"):
        fr_energy(bad, targets, appropriate)
