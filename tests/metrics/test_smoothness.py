"""The window-jump diagnostic against a plain-Python loop, and its laws as hypothesis properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_references import emotion_sequences

from react_bench.errors import BadInputError
from react_bench.metrics.smoothness import WINDOW_FRAMES, window_jump_ratio, window_steps
from react_bench.metrics.spec import METRIC_SPECS


def window_jump_loop(x, window) -> float:
    """Plain loops: the mean |x[t] - x[t-1]| at t = window, 2 window, ... over the mean at every other t >= 1."""
    n, g, t_len, c = x.shape
    boundary, within = [], []
    for k in range(n):
        for i in range(g):
            for t in range(1, t_len):
                for ch in range(c):
                    step = abs(float(x[k, i, t, ch]) - float(x[k, i, t - 1, ch]))
                    (boundary if t % window == 0 else within).append(step)
    return (sum(boundary) / len(boundary)) / (sum(within) / len(within))


@pytest.mark.parametrize("shape,window", [((3, 2, 120, 25), 50), ((2, 4, 60, 25), 7), ((1, 1, 51, 3), 50)])
def test_matches_the_loop(shape, window):
    x = emotion_sequences(np.random.default_rng(sum(shape) + window), shape[:-1], binary_au=False)[..., : shape[-1]]
    # float32 input: the steps are taken in float32 (no float64 copy of the predictions), summed in float64
    assert window_jump_ratio(x, window) == pytest.approx(window_jump_loop(x, window), rel=1e-6)
    x64 = x.astype(np.float64)
    assert window_jump_ratio(x64, window) == pytest.approx(window_jump_loop(x64, window), rel=1e-12)


def test_independent_windows_jump():
    rng = np.random.default_rng(0)
    walks = emotion_sequences(rng, (2, 3, 50), binary_au=False)
    # six independent 50-frame windows side by side: every boundary starts a new walk
    x = np.concatenate([emotion_sequences(rng, (2, 3, 50), binary_au=False) for _ in range(5)] + [walks], axis=2)
    assert window_jump_ratio(x) > 3
    assert window_jump_ratio(np.cumsum(rng.normal(size=(2, 3, 300, 25)), axis=2)) == pytest.approx(1.0, abs=0.2)


def test_torch_input_and_default_window():
    x = emotion_sequences(np.random.default_rng(1), (2, 2, 150), binary_au=False)
    assert WINDOW_FRAMES == 50
    assert window_jump_ratio(torch.from_numpy(x)) == window_jump_ratio(x) == window_jump_ratio(x, 50)


@settings(max_examples=40, deadline=None)
@given(
    step=st.floats(1e-3, 10.0), window=st.integers(2, 20), windows=st.integers(2, 5),
    n=st.integers(1, 3), g=st.integers(1, 3), c=st.integers(1, 4), offset=st.floats(-10.0, 10.0),
)
def test_constant_steps_without_jumps_give_one(step, window, windows, n, g, c, offset):
    # a ramp with the same step everywhere (boundaries included): nothing marks a boundary
    t = np.arange(window * windows + 1, dtype=np.float64)
    x = np.broadcast_to(offset + step * t[None, None, :, None], (n, g, t.size, c))
    assert window_jump_ratio(x, window) == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(1e-3, 1e3), shift=st.floats(-100.0, 100.0),
       window=st.integers(2, 12))
def test_invariant_to_scale_shift_and_order_of_speakers_and_generations(seed, scale, shift, window):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 2, 3 * window + 1, 4))
    ratio = window_jump_ratio(x, window)
    assert window_jump_ratio(scale * x + shift, window) == pytest.approx(ratio, rel=1e-9)
    assert window_jump_ratio(x[::-1, ::-1], window) == pytest.approx(ratio, rel=1e-12)
    # the two means scale with the data
    boundary, within = window_steps(x, window=window)
    assert window_steps(scale * x, window=window) == pytest.approx((scale * boundary, scale * within), rel=1e-9)


def test_a_jump_only_at_boundaries():
    x = np.zeros((1, 1, 6, 1))
    x[0, 0, 3:, 0] = 1.0
    assert window_steps(x, window=3) == (1.0, 0.0)
    with pytest.raises(BadInputError, match="never change inside a window"):
        window_jump_ratio(x, 3)


@pytest.mark.parametrize("emotion,window,message", [
    (np.zeros((2, 100, 25)), 50, r"got \(2, 100, 25\)\. Did you forget the generations axis G\?"),
    (np.zeros((1, 1, 50, 25)), 50, r"window must be an integer in 2\.\.T-1 .* got window=50, T=50"),
    (np.zeros((1, 1, 60, 25)), 1, "window=1"),
    (np.full((1, 1, 60, 25), np.nan), 50, "NaN or inf"),
    (np.zeros((0, 1, 60, 25)), 50, "non-empty"),
])
def test_bad_inputs_name_the_fix(emotion, window, message):
    with pytest.raises(BadInputError, match=message):
        window_jump_ratio(emotion, window)


def test_a_diagnostic_not_a_metric():
    assert not any("jump" in spec.name.lower() for spec in METRIC_SPECS)
