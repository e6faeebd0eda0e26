"""FRDiv, FRVar, FRDvs against plain loops over pairs (SPEC-metrics.md)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_references import emotion_sequences, fr_div_loop, fr_dvs_loop, fr_var_loop

from react_bench.metrics.diversity import fr_div, fr_dvs, fr_var


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 4), g=st.integers(1, 4), t=st.integers(2, 9),
       binary_au=st.booleans())
def test_diversity_matches_loops(seed, n, g, t, binary_au):
    preds = emotion_sequences(np.random.default_rng(seed), (n, g, t), binary_au=binary_au)
    np.testing.assert_allclose(fr_div(preds, reduction="none").numpy(), fr_div_loop(preds), rtol=1e-10, atol=1e-14)
    assert fr_div(preds) == pytest.approx(fr_div_loop(preds).mean(), rel=1e-10, abs=1e-14)
    assert fr_var(preds) == pytest.approx(fr_var_loop(preds), rel=1e-10, abs=1e-14)
    assert fr_dvs(preds) == pytest.approx(fr_dvs_loop(preds), rel=1e-10, abs=1e-14)


def test_reduction_none_means_equal_the_scalars():
    preds = emotion_sequences(np.random.default_rng(20), (5, 3, 30))
    for metric in (fr_div, fr_var, fr_dvs):
        per = metric(preds, reduction="none")
        assert per.shape == (5,) and per.dtype == torch.float64
        assert float(per.mean()) == pytest.approx(metric(preds), rel=1e-12)


def test_single_generation_has_zero_frdiv_and_single_speaker_has_no_frdvs():
    preds = emotion_sequences(np.random.default_rng(21), (3, 1, 20))
    assert fr_div(preds) == 0.0
    assert fr_var(preds[:1]) > 0
    with pytest.raises(ValueError, match="FRDvs compares different speakers and needs N >= 2"):
        fr_dvs(preds[:1])


def test_frdvs_compares_only_the_same_generation_index():
    base = emotion_sequences(np.random.default_rng(22), (1, 2, 20), binary_au=False)
    swapped = base[:, ::-1].copy()  # speaker 2 = speaker 1 with its generations in the other order
    preds = np.concatenate([base, swapped])
    assert fr_dvs(preds) > 0
    assert fr_dvs(np.concatenate([base, base])) == 0.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shift=st.floats(-2, 2))
def test_diversity_invariants(seed, shift):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (3, 3, 10), binary_au=False).astype(np.float64)
    moved = preds + shift  # distances and variances do not see a global offset
    perm_g, perm_n = rng.permutation(3), rng.permutation(3)
    for metric in (fr_div, fr_var, fr_dvs):
        assert metric(moved) == pytest.approx(metric(preds), rel=1e-9, abs=1e-12)
        assert metric(preds[perm_n]) == pytest.approx(metric(preds), rel=1e-12)  # speakers are exchangeable
    assert fr_div(preds[:, perm_g]) == pytest.approx(fr_div(preds), rel=1e-12)
    assert fr_dvs(preds[:, perm_g]) == pytest.approx(fr_dvs(preds), rel=1e-12)
