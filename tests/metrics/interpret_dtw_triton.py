"""The fused Triton DTW kernel under Triton's interpreter, against numba and tslearn.

Not collected on its own (no ``test_`` prefix): ``test_dtw_triton.py`` runs it as
``TRITON_INTERPRET=1 python -m pytest tests/metrics/interpret_dtw_triton.py``, because the variable
must be set before triton is first imported. The interpreter is slow (~1-2 s per 40 x 40 pair with 25
channels), so the sequences are short.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tslearn.metrics import dtw as tslearn_dtw

if os.environ.get("TRITON_INTERPRET") != "1":  # pragma: no cover - guards a direct run
    pytest.skip("run through test_dtw_triton.py (needs TRITON_INTERPRET=1 before triton is imported)",
                allow_module_level=True)
pytest.importorskip("triton")

from react_bench.metrics import _dtw_numba, _dtw_triton

RTOL = 1e-12  # float64 on both sides; only FMA contraction may differ
REACT = [0, 15, 17, 25]


def run_kernel(x, y, qi, ti, groups) -> np.ndarray:
    return _dtw_triton.pair_costs(
        torch.as_tensor(x), torch.as_tensor(y), torch.as_tensor(qi), torch.as_tensor(ti), groups
    ).numpy()


def numba_costs(x, y, qi, ti, groups) -> np.ndarray:
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)
    return _dtw_numba.pair_costs(f64(x), f64(y), np.asarray(qi, np.int64), np.asarray(ti, np.int64),
                                 np.asarray(groups, np.int64))


def tslearn_costs(x, y, qi, ti, groups) -> np.ndarray:
    """Squared tslearn DTW per group (tslearn returns the square root of the accumulated cost)."""
    return np.array([[tslearn_dtw(x[q][:, lo:hi], y[t][:, lo:hi]) ** 2 for lo, hi in itertools.pairwise(groups)]
                     for q, t in zip(qi, ti)])


def check(x, y, qi, ti, groups, *, with_numba=True):
    got = run_kernel(x, y, qi, ti, groups)
    assert got.shape == (len(qi), len(groups) - 1) and got.dtype == np.float64
    np.testing.assert_allclose(got, tslearn_costs(x, y, qi, ti, groups), rtol=RTOL, atol=0)
    if with_numba:
        np.testing.assert_allclose(got, numba_costs(x, y, qi, ti, groups), rtol=RTOL, atol=0)
    return got


def test_react_groups_match_numba_and_tslearn():
    """Three groups in one pass; 5 pairs over 3 programs, so the persistent loop reuses a buffer."""
    rng = np.random.default_rng(0)
    x = rng.random((3, 20, 25)).astype(np.float32)
    y = rng.random((2, 20, 25)).astype(np.float32)
    check(x, y, [0, 1, 2, 0, 2], [0, 1, 0, 1, 1], REACT)


@pytest.mark.parametrize("t1, t2", [(37, 21), (9, 30), (120, 6), (1, 12), (7, 1), (1, 1)])
def test_uneven_lengths(t1, t2):
    rng = np.random.default_rng(t1 * 1000 + t2)
    x = rng.normal(size=(2, t1, 3))
    y = rng.normal(size=(2, t2, 3))
    check(x, y, [0, 1, 1], [1, 0, 1], [0, 1, 3])


def test_constant_channels_and_identical_sequences():
    """Binary AUs that never fire, a flat valence: zero costs on the diagonal, exact elsewhere."""
    rng = np.random.default_rng(1)
    x = rng.random((2, 24, 25))
    x[:, :, :15] = 0.0
    x[:, :, 15] = 0.25
    y = x[::-1].copy()
    y[0, :, 20] = 1.0  # one constant expression channel
    got = check(x, y, [0, 1, 0], [1, 0, 0], REACT)
    assert got[0, 0] == 0.0 and got[0, 1] == 0.0  # x[0] == y[1] in the AU and VA groups


def test_more_than_four_groups_run_as_two_launches():
    rng = np.random.default_rng(2)
    x = rng.random((2, 15, 6))
    y = rng.random((2, 11, 6))
    check(x, y, [0, 1], [1, 0], [0, 1, 2, 3, 4, 5, 6], with_numba=False)  # numba holds at most 4 groups


def test_empty_pair_list():
    got = run_kernel(np.zeros((1, 4, 2)), np.zeros((1, 4, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64), [0, 2])
    assert got.shape == (0, 1)


@st.composite
def problems(draw):
    c = draw(st.integers(1, 5))
    cuts = sorted(draw(st.sets(st.integers(1, c - 1), max_size=min(3, c - 1)))) if c > 1 else []
    t1, t2 = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    values = st.floats(-10, 10, width=32, allow_nan=False)
    x = draw(st.lists(st.lists(st.lists(values, min_size=c, max_size=c), min_size=t1, max_size=t1), min_size=2, max_size=2))
    y = draw(st.lists(st.lists(st.lists(values, min_size=c, max_size=c), min_size=t2, max_size=t2), min_size=1, max_size=2))
    n = draw(st.integers(1, 4))
    qi = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    ti = draw(st.lists(st.integers(0, len(y) - 1), min_size=n, max_size=n))
    return np.array(x, np.float32), np.array(y, np.float32), qi, ti, [0, *cuts, c]


@settings(max_examples=6, deadline=None)
@given(problems())
def test_property_matches_numba_and_tslearn(problem):
    x, y, qi, ti, groups = problem
    got = run_kernel(x, y, qi, ti, groups)
    np.testing.assert_allclose(got, tslearn_costs(x, y, qi, ti, groups), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(got, numba_costs(x, y, qi, ti, groups), rtol=RTOL, atol=1e-12)
