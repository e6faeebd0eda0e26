"""FRSyn's lag range and frame rate (30 fps MARS data) and valid frames, against a plain-Python TLCC.

The reference below is written from the official ``calculate_tlcc`` behaviour
(baseline_react2026 ``framework/metrics/TLCC.py``): lags ``-max_lag..max_lag``, per channel the
Pearson r of the overlapping windows, the channel mean in float32, the first NaN or else the first
maximum. It uses Python floats and loops only (no numpy/torch maths), and scores a sample on its
first ``valid`` frames, so nothing is shared with ``react_bench.metrics.tlcc``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from metric_references import emotion_sequences

from react_bench.constants import TLCC_MAX_LAG
from react_bench.errors import BadInputError
from react_bench.metrics import evaluate
from react_bench.metrics.tlcc import fr_syn, lag_range, tlcc_max_lag, tlcc_offsets


def _pearson(a: list[float], b: list[float]) -> float:
    """Pearson r of two lists; NaN when either is constant or shorter than 2 (np.corrcoef gives NaN)."""
    n = len(a)
    if n < 2:
        return math.nan
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if len(set(a)) == 1 or len(set(b)) == 1 or va == 0 or vb == 0:
        return math.nan
    r = sum((x - ma) * (y - mb) for x, y in zip(a, b)) / math.sqrt(va * vb)
    return max(-1.0, min(1.0, r))


def _lag_scores(x, s, max_lag: int, valid: int) -> list[list[float]]:
    """``[lag][channel]`` r of ``x[t + lag]`` with ``s[t]`` over the first ``valid`` frames."""
    out = []
    for lag in range(-max_lag, max_lag + 1):
        row = []
        for c in range(len(x[0])):
            xs = [float(x[t][c]) for t in range(valid)]
            ss = [float(s[t][c]) for t in range(valid)]
            a, b = (xs[lag:], ss[:valid - lag]) if lag >= 0 else (xs[:valid + lag], ss[-lag:])
            row.append(_pearson(a, b))
        out.append(row)
    return out


def offset_reference(x, s, *, max_lag: int, valid: int, protocol: str) -> int:
    """Offset ``max_lag - argmax`` of one ``(T, 25)`` prediction against its speaker."""
    scores = []
    for row in _lag_scores(x, s, max_lag, valid):
        if protocol == "react2024":  # float32 channel mean (torch.mean(torch.Tensor(list))); NaN spreads
            scores.append(float(torch.tensor(row, dtype=torch.float32).mean()))
        else:  # corrected: mean over the defined channels; none defined -> never chosen
            defined = [r for r in row if not math.isnan(r)]
            scores.append(sum(defined) / len(defined) if defined else -math.inf)
    nans = [a for a, v in enumerate(scores) if math.isnan(v)]
    if nans:
        return max_lag - nans[0]
    best = max(scores)
    return max_lag - scores.index(best)


def _shifted(rng: np.random.Generator, t: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Prediction x lagging speaker s by d frames: x[t] = s[t - d]."""
    z = rng.normal(size=(t + 200, 25))
    return z[100 - d: 100 - d + t], z[100: 100 + t]


def test_lag_range_is_two_seconds_minus_one_frame():
    assert lag_range(25) == TLCC_MAX_LAG == 49
    assert lag_range(30) == 59
    assert tlcc_max_lag("react2024", fps=30) == 49  # the official code keeps fps=25 on MARS
    assert tlcc_max_lag("corrected", fps=30) == 59
    assert tlcc_max_lag("corrected") == 49
    assert tlcc_max_lag("react2024", fps=30, max_lag=20) == 20


@pytest.mark.parametrize("bad", [0, -30, "30", True])
def test_bad_fps_is_refused(bad):
    with pytest.raises(BadInputError, match="fps must be a positive number"):
        tlcc_max_lag("corrected", fps=bad)


def test_bad_max_lag_is_refused():
    with pytest.raises(BadInputError, match=r"max_lag must be a positive int"):
        tlcc_max_lag("react2024", max_lag=0)


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_offsets_at_30_fps_match_the_plain_python_reference(protocol):
    rng = np.random.default_rng(30)
    preds = emotion_sequences(rng, (2, 2, 130), binary_au=True)
    speaker = emotion_sequences(rng, (2, 130), binary_au=True)
    got = tlcc_offsets(preds, speaker, protocol=protocol, fps=30)
    lags = 49 if protocol == "react2024" else 59
    want = [[offset_reference(preds[k, i], speaker[k], max_lag=lags, valid=130, protocol=protocol)
             for i in range(2)] for k in range(2)]
    assert got.tolist() == want


def test_a_lag_beyond_49_frames_is_found_only_in_the_30_fps_range():
    rng = np.random.default_rng(3)
    x, s = _shifted(rng, 200, 55)  # 55 frames = 1.8 s at 30 fps
    assert tlcc_offsets(x[None, None], s[None], protocol="corrected", fps=30).item() == -55
    assert tlcc_offsets(x[None, None], s[None], protocol="corrected", max_lag=59).item() == -55
    official = tlcc_offsets(x[None, None], s[None], protocol="react2024", fps=30).item()
    assert abs(official) <= 49
    assert official == offset_reference(x, s, max_lag=49, valid=200, protocol="react2024")


def test_fr_syn_range_follows_max_lag():
    s = torch.zeros(1, 100, 25)  # constant speaker: every lag is NaN, the first (index 0) wins
    x = torch.rand(1, 1, 100, 25, generator=torch.Generator().manual_seed(0))
    assert fr_syn(x, s) == 49.0
    assert fr_syn(x, s, protocol="corrected", fps=30) == 59.0


def test_frames_must_cover_the_lag_range():
    x = torch.rand(1, 1, 60, 25, generator=torch.Generator().manual_seed(0))
    tlcc_offsets(x, x[:, 0])  # 60 >= 49 + 2
    with pytest.raises(BadInputError, match=r"FRSyn needs T >= 61 frames \(lags up to \+-59"):
        tlcc_offsets(x, x[:, 0], protocol="corrected", fps=30)


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_valid_frames_match_the_reference_and_ignore_the_padding(protocol):
    rng = np.random.default_rng(7)
    t = 120
    preds = emotion_sequences(rng, (4, 2, t), binary_au=False)
    speaker = emotion_sequences(rng, (4, t), binary_au=False)
    valid = np.array([120, 90, 61, 30])  # 30 < 61: some lags have no overlap of 2 frames
    got = tlcc_offsets(preds, speaker, protocol=protocol, fps=30, valid_frames=valid)
    lags = tlcc_max_lag(protocol, fps=30)
    want = [[offset_reference(preds[k, i], speaker[k], max_lag=lags, valid=int(valid[k]), protocol=protocol)
             for i in range(2)] for k in range(4)]
    assert got.tolist() == want
    junk_p, junk_s = preds.copy(), speaker.copy()
    for k, v in enumerate(valid):
        junk_p[k, :, v:] = rng.normal(size=junk_p[k, :, v:].shape)
        junk_s[k, v:] = 0.0
    assert tlcc_offsets(junk_p, junk_s, protocol=protocol, fps=30, valid_frames=valid).tolist() == want


def test_all_frames_valid_is_the_default_bit_for_bit():
    rng = np.random.default_rng(8)
    preds = emotion_sequences(rng, (3, 2, 100), binary_au=True)
    speaker = emotion_sequences(rng, (3, 100), binary_au=True)
    for protocol in ("react2024", "corrected"):
        plain = tlcc_offsets(preds, speaker, protocol=protocol)
        assert torch.equal(tlcc_offsets(preds, speaker, protocol=protocol, valid_frames=[100] * 3), plain)
        assert torch.equal(tlcc_offsets(preds, speaker, protocol=protocol, fps=25), plain)


def test_bad_valid_frames_are_refused():
    x = torch.rand(2, 1, 60, 25, generator=torch.Generator().manual_seed(0))
    with pytest.raises(BadInputError, match=r"valid_frames must hold one frame count per sequence: shape \(2,\)"):
        tlcc_offsets(x, x[:, 0], valid_frames=[60])
    with pytest.raises(BadInputError, match=r"valid_frames must lie in \[2, T\] = \[2, 60\]"):
        tlcc_offsets(x, x[:, 0], valid_frames=[60, 61])


def test_evaluate_records_fps_and_lag_range():
    rng = np.random.default_rng(9)
    preds = emotion_sequences(rng, (3, 2, 90), binary_au=False)
    speaker = emotion_sequences(rng, (3, 90), binary_au=False)
    args = (preds, speaker, speaker, np.eye(3))
    official = evaluate(*args, fps=30, rea=False, metrics=("FRSyn",))
    corrected = evaluate(*args, protocol="corrected", fps=30, rea=False, metrics=("FRSyn",))
    assert (official["fps"], official["tlcc_max_lag"], official["padding"]) == (30, 49, "none")
    assert (corrected["fps"], corrected["tlcc_max_lag"]) == (30, 59)
    want = np.mean([abs(offset_reference(preds[k, i], speaker[k], max_lag=59, valid=90, protocol="corrected"))
                    for k in range(3) for i in range(2)])
    assert corrected["FRSyn"] == pytest.approx(want, abs=1e-12)
    assert evaluate(*args, rea=False)["tlcc_max_lag"] == 49
