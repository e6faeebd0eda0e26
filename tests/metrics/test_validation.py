"""Every bad input raises a ValueError that names the argument, what was expected and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from react_bench.metrics.ccc import fr_corr, pairwise_ccc
from react_bench.metrics.diversity import fr_div, fr_dvs, fr_var
from react_bench.metrics.realism import fr_rea
from react_bench.metrics.tlcc import fr_syn, tlcc_offsets

N, G, T = 3, 2, 60


@pytest.fixture
def inputs():
    rng = np.random.default_rng(50)
    preds = rng.random((N, G, T, 25)).astype(np.float32)
    targets = rng.random((N, T, 25)).astype(np.float32)
    speaker = rng.random((N, T, 25)).astype(np.float32)
    return preds, targets, speaker, np.eye(N)


def test_preds_shape_and_channels(inputs):
    preds, targets, speaker, a = inputs
    with pytest.raises(ValueError, match=r"preds must be \(N, G, T, 25\).*got shape \(3, 60, 25\).*preds\[:, None\]"):
        fr_corr(preds[:, 0], targets, a)
    with pytest.raises(ValueError, match="preds must have 25 channels in its last axis.*got 24"):
        fr_div(preds[..., :24])
    with pytest.raises(ValueError, match="targets must have 25 channels in its last axis.*got 58"):
        pairwise_ccc(preds, np.zeros((N, T, 58)))
    with pytest.raises(ValueError, match=r"speaker must be \(N, T, 25\) speaker emotion sequences; got shape \(60, 25\)"):
        fr_syn(preds, speaker[0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values(inputs, bad):
    preds, targets, speaker, a = inputs
    preds, targets = preds.copy(), targets.copy()
    preds[0, 0, 0, 0] = bad
    with pytest.raises(ValueError, match="preds contains 1 NaN or Inf values"):
        fr_var(preds)
    targets[1, 2, 3] = bad
    with pytest.raises(ValueError, match="targets contains 1 NaN or Inf values"):
        fr_corr(inputs[0], targets, a)


def test_appropriateness_matrix(inputs):
    preds, targets, speaker, a = inputs
    empty = a.copy()
    empty[1] = 0
    with pytest.raises(ValueError, match=r"appropriate has 1 empty row\(s\) \(speaker\(s\) 1\)"):
        fr_corr(preds, targets, empty)
    with pytest.raises(ValueError, match=r"appropriate must be an \(N, M\) = \(3, 3\) matrix.*got shape \(3, 2\)"):
        fr_corr(preds, targets, a[:, :2])
    with pytest.raises(ValueError, match="appropriate must hold only 0 and 1"):
        fr_corr(preds, targets, a + 0.5 * (1 - a))


def test_frames(inputs):
    preds, targets, speaker, a = inputs
    with pytest.raises(ValueError, match=r"preds must have at least 2 frames \(T >= 2\); got T = 1"):
        fr_var(preds[:, :, :1])
    with pytest.raises(ValueError, match="preds and targets must have the same number of frames T; got 60 and 59"):
        fr_corr(preds, targets[:, :59], a)
    with pytest.raises(ValueError, match="preds and speaker must have the same number of frames T; got 60 and 50"):
        fr_syn(preds, speaker[:, :50])
    with pytest.raises(ValueError, match="FRSyn needs T >= 51 frames"):
        tlcc_offsets(preds[:, :, :50], speaker[:, :50])
    with pytest.raises(ValueError, match="preds and targets must have the same number of frames"):
        fr_rea(preds, targets[:, :30])


def test_speaker_count(inputs):
    preds, targets, speaker, a = inputs
    with pytest.raises(ValueError, match="speaker must hold one sequence per speaker of preds.*N = 3; got 2"):
        fr_syn(preds, speaker[:2])


def test_protocol_and_reduction(inputs):
    preds, targets, speaker, a = inputs
    with pytest.raises(ValueError, match="protocol must be one of 'react2024', 'corrected'; got 'official'"):
        fr_corr(preds, targets, a, protocol="official")
    with pytest.raises(ValueError, match="protocol must be one of"):
        tlcc_offsets(preds, speaker, protocol="REACT2024")
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'; got 'sum'"):
        fr_dvs(preds, reduction="sum")


def test_not_numbers():
    with pytest.raises(ValueError, match="preds must hold numbers"):
        fr_div(np.array([["a"]]))
