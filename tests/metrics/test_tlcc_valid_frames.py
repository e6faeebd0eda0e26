"""evaluate(valid_frames=): padded frames (MARS windows past the end of their clip) are scored by no metric."""

from __future__ import annotations

import numpy as np
import pytest
from metric_references import appropriateness, ccc_sequence, emotion_sequences

from react_bench.errors import BadInputError
from react_bench.metrics import evaluate

METRICS = ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea", "FREnergy")
T = 80


def _data(seed: int, n: int = 5, g: int = 2):
    rng = np.random.default_rng(seed)
    preds = emotion_sequences(rng, (n, g, T), binary_au=False)
    speaker = emotion_sequences(rng, (n, T), binary_au=False)
    targets = emotion_sequences(rng, (n, T), binary_au=False)
    return rng, preds, targets, speaker, appropriateness(rng, n, n, per_row=3)


def _scores(*args, **kwargs) -> dict:
    result = evaluate(*args, **kwargs)
    return {name: result[name] for name in METRICS if name in result}


def _pad(rng, x: np.ndarray, valid: np.ndarray, axis_frames: int) -> np.ndarray:
    """``x`` with every frame past ``valid[k]`` replaced by noise."""
    out = x.copy()
    for k, v in enumerate(valid):
        index = (k,) + (slice(None),) * (axis_frames - 1) + (slice(int(v), None),)
        out[index] = rng.normal(size=out[index].shape)
    return out


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_no_metric_sees_the_padding(protocol):
    rng, preds, targets, speaker, a = _data(1)
    valid = np.array([80, 80, 65, 52, 80])
    a[:, valid == 80] = 1  # every row keeps targets long enough for it
    clean = _scores(preds, targets, speaker, a, protocol=protocol, valid_frames=valid, fps=30)
    noisy = _scores(_pad(rng, preds, valid, 2), _pad(rng, targets, valid, 1), _pad(rng, speaker, valid, 1), a,
                    protocol=protocol, valid_frames=valid, fps=30)
    assert clean.keys() == noisy.keys() == set(METRICS)
    for name in METRICS:
        assert noisy[name] == pytest.approx(clean[name], rel=1e-12, abs=1e-12), name
    plain = _scores(_pad(rng, preds, valid, 2), targets, speaker, a, protocol=protocol)
    assert plain["FRVar"] != pytest.approx(clean["FRVar"])  # the check above can fail


def test_one_common_length_equals_scoring_the_cut_sequences():
    _, preds, targets, speaker, a = _data(2)
    v = 60
    padded = evaluate(preds, targets, speaker, a, valid_frames=[v] * 5)
    cut = evaluate(preds[:, :, :v], targets[:, :v], speaker[:, :v], a)
    for name in METRICS:
        assert padded[name] == pytest.approx(cut[name], rel=1e-10, abs=1e-12), name
    assert (padded["padding"], padded["padded_samples"], cut["padding"]) == ("excluded", 5, "none")


def test_all_frames_valid_is_the_default_bit_for_bit():
    _, preds, targets, speaker, a = _data(3)
    full = _scores(preds, targets, speaker, a, valid_frames=[T] * 5, fps=25)
    assert full == _scores(preds, targets, speaker, a)


def _fr_dvs_reference(preds: np.ndarray, valid: np.ndarray) -> float:
    """Per speaker: mean over generations and (other speaker, frame real in both) of ||diff||^2 / 25."""
    n, g = preds.shape[:2]
    p = preds.astype(np.float64)
    shares = []
    for k in range(n):
        total, count = 0.0, 0
        for q in range(n):
            if q == k:
                continue
            for t in range(min(valid[k], valid[q])):
                for i in range(g):
                    total += float(np.sum((p[k, i, t] - p[q, i, t]) ** 2)) / 25
                count += g
        shares.append(total / count)
    return float(np.mean(shares))


def _fr_corr_reference(preds, targets, appropriate, valid) -> float:
    """Official FRCorr with prediction k and its targets cut to valid[k] frames (longer targets only)."""
    out = []
    for k in range(preds.shape[0]):
        v = valid[k]
        js = [j for j in np.flatnonzero(appropriate[k]) if valid[j] >= v]
        out.append(sum(max(ccc_sequence(targets[j, :v], preds[k, i, :v]) for j in js) for i in range(preds.shape[1])))
    return float(np.mean(out))


def test_mixed_lengths_match_plain_references():
    _, preds, targets, speaker, a = _data(4)
    valid = np.array([80, 71, 71, 40, 80])
    a[:, 0] = 1
    got = evaluate(preds, targets, speaker, a, valid_frames=valid, rea=False)
    assert got["FRDvs"] == pytest.approx(_fr_dvs_reference(preds, valid), rel=1e-10)
    assert got["FRCorr"] == pytest.approx(_fr_corr_reference(preds, targets, a, valid), rel=1e-6)  # float32 reference
    fr_var = np.mean([np.var(preds[k, i, :valid[k], c].astype(np.float64), ddof=1)
                      for k in range(5) for i in range(2) for c in range(25)])
    assert got["FRVar"] == pytest.approx(fr_var, rel=1e-10)


def test_a_row_without_a_long_enough_target_is_refused():
    _, preds, targets, speaker, _ = _data(5, n=3)
    with pytest.raises(BadInputError, match="speaker 0 has 80 valid frames but none of its appropriate targets"):
        evaluate(preds, targets, speaker, np.array([[0, 1, 0], [0, 1, 0], [0, 0, 1]]),
                 valid_frames=[80, 60, 60], rea=False, metrics=("FRCorr",))


def test_valid_frames_need_target_lengths_when_m_differs():
    _, preds, targets, speaker, _ = _data(6, n=3)
    with pytest.raises(BadInputError, match=r"pass target_valid_frames \(4,\) too"):
        evaluate(preds, np.concatenate([targets, targets[:1]]), speaker, np.ones((3, 4)), valid_frames=[80, 60, 60])
