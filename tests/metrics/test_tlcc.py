"""tlcc_offsets and fr_syn against the official-style loop (99 lags x 25 np.corrcoef, torch.argmax)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_references import emotion_sequences, tlcc_offsets_loop

from react_bench.metrics.tlcc import fr_syn, lag_correlations, tlcc_offsets


def _shifted_pair(rng: np.random.Generator, t: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Speaker s and a prediction x with x[t] = s[t - d] (x lags s by d frames)."""
    z = rng.normal(size=(t + 98, 25)).astype(np.float32)
    return z[49 - d: 49 - d + t], z[49: 49 + t]


@pytest.mark.parametrize("binary_au", [False, True])
def test_offsets_match_loop_reference(binary_au):
    rng = np.random.default_rng(10)
    preds = emotion_sequences(rng, (2, 2, 70), binary_au=binary_au)
    speaker = emotion_sequences(rng, (2, 70), binary_au=binary_au)
    got = tlcc_offsets(preds, speaker)
    assert got.shape == (2, 2) and got.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), tlcc_offsets_loop(preds, speaker))


def test_lag_correlations_match_corrcoef():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(1, 1, 60, 25)).astype(np.float32)
    s = rng.normal(size=(1, 60, 25)).astype(np.float32)
    r, defined = lag_correlations(x, s)
    assert r.shape == (1, 1, 99, 25) and bool(defined.all())
    for a in (0, 10, 49, 60, 98):
        lag = a - 49
        for c in (0, 24):
            u, v = (x[0, 0, lag:, c], s[0, :-lag, c]) if lag > 0 else (x[0, 0, :lag or None, c], s[0, -lag:, c])
            assert float(r[0, 0, a, c]) == pytest.approx(np.corrcoef(u, v)[0, 1], abs=1e-12)


@pytest.mark.parametrize("d", [-49, -17, -1, 0, 3, 49])
def test_prediction_lagging_by_d_gets_offset_minus_d(d):
    rng = np.random.default_rng(100 + d)
    x, s = _shifted_pair(rng, 90, d)
    for protocol in ("react2024", "corrected"):
        assert tlcc_offsets(x[None, None], s[None], protocol=protocol).item() == -d


def test_constant_channel_gives_offset_49_under_react2024_and_is_handled_under_corrected():
    rng = np.random.default_rng(13)
    x, s = _shifted_pair(rng, 90, 5)
    x[:, 7] = 0.0  # a channel the prediction never moves
    assert tlcc_offsets(x[None, None], s[None]).item() == 49
    assert tlcc_offsets_loop(x[None, None], s[None]).item() == 49
    assert tlcc_offsets(x[None, None], s[None], protocol="corrected").item() == -5
    # a constant speaker channel too
    x2, s2 = _shifted_pair(rng, 90, -4)
    s2[:, 0] = 1.0
    assert tlcc_offsets(x2[None, None], s2[None]).item() == 49
    assert tlcc_offsets(x2[None, None], s2[None], protocol="corrected").item() == 4


def test_first_nan_wins_even_when_it_is_not_lag_index_0():
    rng = np.random.default_rng(14)
    x, s = _shifted_pair(rng, 80, 2)
    x[:, 3] = 0.0
    x[:6, 3] = 1.0  # varies only in its first 6 frames: the suffix x[l:] is constant for l >= 6
    want = tlcc_offsets_loop(x[None, None], s[None]).item()
    assert want == 49 - (49 + 6)  # first NaN at lag +6
    assert tlcc_offsets(x[None, None], s[None]).item() == want
    assert tlcc_offsets(x[None, None], s[None], protocol="corrected").item() == -2


def test_all_channels_constant_under_corrected_gives_worst_offset():
    rng = np.random.default_rng(15)
    s = rng.normal(size=(1, 60, 25)).astype(np.float32)
    x = np.full((1, 1, 60, 25), 0.5, dtype=np.float32)
    assert tlcc_offsets(x, s, protocol="corrected").item() == 49


def test_fr_syn_protocols_and_reduction():
    rng = np.random.default_rng(16)
    pairs = [_shifted_pair(rng, 80, d) for d in (3, -7)]
    s = np.stack([p[1] for p in pairs])
    gen0 = np.stack([p[0] for p in pairs])
    gen1 = np.stack([_shifted_pair(rng, 80, 11)[0] * 0 + np.roll(s[k], 11, axis=0) for k in range(2)])
    preds = np.stack([gen0, gen1], axis=1)  # (2, 2, 80, 25)
    offsets = tlcc_offsets(preds, s)
    assert offsets[:, 0].tolist() == [-3, 7]
    assert fr_syn(preds, s) == pytest.approx((3 + 7) / 2)  # react2024: generation 0 only
    per = fr_syn(preds, s, reduction="none")
    assert per.dtype == torch.float64 and per.tolist() == [3.0, 7.0]
    corrected = fr_syn(preds, s, protocol="corrected", reduction="none")
    want = tlcc_offsets(preds, s, protocol="corrected").abs().double().mean(dim=1)
    assert corrected.tolist() == want.tolist()
    assert fr_syn(preds, s, protocol="corrected") == pytest.approx(float(want.mean()))


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    t=st.integers(51, 64),
    binary_au=st.booleans(),
    constant=st.lists(st.integers(0, 24), max_size=2),
)
def test_offsets_hypothesis(seed, t, binary_au, constant):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (1, 2, t), binary_au=binary_au)
    speaker = emotion_sequences(rng, (1, t), binary_au=binary_au)
    preds[0, 0, :, constant] = 0.0
    got = tlcc_offsets(preds, speaker)
    np.testing.assert_array_equal(got.numpy(), tlcc_offsets_loop(preds, speaker))
    assert bool((got.abs() <= 49).all())
    corrected = tlcc_offsets(preds, speaker, protocol="corrected")
    assert bool((corrected.abs() <= 49).all())
