"""evaluate and ReactMetrics against the loop references of all seven metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from metric_references import appropriateness, emotion_sequences, evaluate_loop, fr_dist_loop

from react_bench.metrics import METRIC_DIRECTIONS, METRICS, ReactMetrics, evaluate, fr_energy
from react_bench.metrics.frechet import frechet_distance
from react_bench.metrics.realism import FRREA_FEATURE_VERSION, reaction_window_features


def _window_fd(preds, targets) -> float:
    return frechet_distance(reaction_window_features(torch.from_numpy(targets)),
                            reaction_window_features(torch.from_numpy(preds[:, 0])))


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(60)
    n, g, t = 4, 3, 60
    preds = emotion_sequences(rng, (n, g, t))
    targets = emotion_sequences(rng, (n, t))
    speaker = np.concatenate([targets[n // 2:], targets[: n // 2]])  # mirrored: speaker[k + N/2] = targets[k]
    return preds, targets, speaker, appropriateness(rng, n, n, per_row=2)


def test_evaluate_matches_the_loop_references(case):
    result = evaluate(*case, per_speaker=True)
    want = evaluate_loop(*case, rea_fn=_window_fd)
    for name in METRICS:
        assert result[name] == pytest.approx(want[name], rel=1e-5, abs=1e-9), name
    assert result["protocol"] == "react2024" and result["frrea_feature_space"] == FRREA_FEATURE_VERSION
    assert result["FREnergy"] == pytest.approx(fr_energy(case[0], case[1], case[3]), rel=1e-12)
    assert set(result["seconds"]) == set(METRICS) | {"FREnergy"}
    assert "FRCorr_per_gen" not in result
    per = result["per_speaker"]
    assert set(per) == (set(METRICS) | {"FREnergy"}) - {"FRRea"}
    np.testing.assert_allclose(per["FRDist"], fr_dist_loop(*[case[i] for i in (0, 1, 3)]), rtol=1e-5)
    for name, values in per.items():
        assert len(values) == 4 and np.mean(values) == pytest.approx(result[name], rel=1e-12), name
    assert set(METRIC_DIRECTIONS) >= set(METRICS)


def test_corrected_protocol_reports_per_generation_frcorr(case):
    result = evaluate(*case, protocol="corrected", rea=False)
    assert result["protocol"] == "corrected"
    assert result["FRCorr_per_gen"] == pytest.approx(result["FRCorr"] / 3, rel=1e-12)
    assert result["FRRea"] is None and result["frrea_feature_space"] is None


def test_user_features_for_frrea(case):
    rng = np.random.default_rng(61)
    a, b = rng.normal(size=(40, 8)), rng.normal(size=(30, 8))
    result = evaluate(*case, rea_features=(a, b))
    assert result["FRRea"] == pytest.approx(frechet_distance(a, b), rel=1e-12)
    assert result["frrea_feature_space"] == "user-features"


def test_single_speaker_has_no_frdvs():
    rng = np.random.default_rng(62)
    preds, seqs = emotion_sequences(rng, (1, 2, 60)), emotion_sequences(rng, (1, 60))
    result = evaluate(preds, seqs, seqs, np.ones((1, 1)))
    assert result["FRDvs"] is None and result["FRDiv"] > 0


def test_react_metrics_accumulate_then_compute_equals_one_evaluate(case):
    preds, targets, speaker, a = case
    metric = ReactMetrics(targets, a)
    metric.update(preds[2:], speaker[2:], [2, 3])  # out of order on purpose
    metric.update(preds[:1], speaker[:1], [0])
    with pytest.raises(ValueError, match="compute needs every one of the 4 samples exactly once; 1 missing"):
        metric.compute()
    metric.update(torch.from_numpy(preds[1:2]), torch.from_numpy(speaker[1:2]), torch.tensor([1]))
    metric.sync()  # no process group: a no-op
    got, want = metric.compute(), evaluate(preds, targets, speaker, a)
    for name in METRICS:
        assert got[name] == pytest.approx(want[name], rel=1e-12), name
    metric.update(preds[:1], speaker[:1], [0])
    with pytest.raises(ValueError, match="1 given more than once"):
        metric.compute()
    metric.reset()
    with pytest.raises(ValueError, match="indices must lie in \\[0, 4\\)"):
        metric.update(preds[:1], speaker[:1], [4])


def test_react_metrics_sync_gathers_over_a_process_group(case, tmp_path):
    import torch.distributed as dist

    preds, targets, speaker, a = case
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        metric = ReactMetrics(targets, a, rea=False)
        metric.update(preds, speaker, range(4))
        metric.sync()
        assert metric.compute()["FRCorr"] == pytest.approx(evaluate(*case, rea=False)["FRCorr"], rel=1e-12)
    finally:
        dist.destroy_process_group()


def test_evaluate_rejects_bad_inputs(case):
    preds, targets, speaker, a = case
    with pytest.raises(ValueError, match="protocol must be one of"):
        evaluate(*case, protocol="react2023")
    with pytest.raises(ValueError, match=r"appropriate must be an \(N, M\) = \(4, 4\) matrix"):
        evaluate(preds, targets, speaker, a[:3])
    with pytest.raises(ValueError, match="speaker must hold one sequence per speaker of preds"):
        evaluate(preds, targets, speaker[:3], a)
    with pytest.raises(ValueError, match="cpu_threads must be a positive int or None; got 0"):
        evaluate(*case, cpu_threads=0)


def test_cpu_threads_only_changes_speed_and_is_restored(case):
    before = torch.get_num_threads()
    one = evaluate(*case, rea=False)
    native = evaluate(*case, rea=False, cpu_threads=None)
    assert torch.get_num_threads() == before
    for name in METRICS[:-1]:
        assert one[name] == pytest.approx(native[name], rel=1e-12), name


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_evaluate_on_cuda_equals_cpu(case, protocol):
    cpu = evaluate(*case, protocol=protocol)
    gpu = evaluate(*case, protocol=protocol, device="cuda")
    for name in (*METRICS, "FRCorr_per_gen"):
        if name in cpu:
            assert gpu[name] == pytest.approx(cpu[name], rel=1e-6, abs=1e-9), name
