"""Scoring on 2 gloo processes equals one process: evaluate(distributed=True), ReactMetrics with
each rank's own batches, and what crosses between the ranks (never predictions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import torchrun
from dist_cases import G, M, N, RANK_INDICES, T, case, full_rank_case

from react_bench.metrics import evaluate

WORKER = Path(__file__).with_name("dist_worker.py")
ALL_METRICS = ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea", "FREnergy", "FRCorr_per_gen")
ACROSS_SPEAKERS = {"FRDvs", "FRRea"}
"""Summed per rank, then across ranks: equal to rounding, not bit-equal."""


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """``load(scenario) -> [rank 0's json, rank 1's json]`` of one torchrun of dist_worker.py."""
    out = tmp_path_factory.mktemp("dist")
    torchrun([str(WORKER), str(out)])
    return lambda name: [json.loads((out / f"{name}-rank{r}.json").read_text()) for r in (0, 1)]


def _assert_equal(got: dict, want: dict, *, rea_rel: float = 1e-12) -> None:
    """Every value of one ``evaluate`` dict equals the other's: per speaker to 1e-14 relative (a few
    ulps) for the row-by-row metrics, 1e-12 relative for FRDvs (and ``rea_rel`` for FRRea) whose statistics are summed in another order."""
    for key, value in want.items():
        if key == "seconds":
            assert set(got[key]) == set(value)
        elif key == "per_speaker":
            assert set(got[key]) == set(value)
            for name, values in value.items():
                if name in ACROSS_SPEAKERS:
                    np.testing.assert_allclose(got[key][name], values, rtol=1e-12, err_msg=name)
                else:  # a rank scores a smaller batch: on some CPUs the vectorised sums of one row then
                    # round differently in the last bit (seen: 0.29026157117241735 against ...1724173)
                    np.testing.assert_allclose(got[key][name], values, rtol=1e-14, atol=0, err_msg=name)
        elif key in ACROSS_SPEAKERS and value is not None:
            assert got[key] == pytest.approx(value, rel=rea_rel if key == "FRRea" else 1e-12, abs=0), key
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_distributed_evaluate_equals_one_process(ranks, protocol):
    want = evaluate(*case(), protocol=protocol, per_speaker=True)
    rank0, rank1 = ranks(f"evaluate-{protocol}")
    assert rank0 == rank1  # every rank returns the same dict, seconds included
    assert {name for name in ALL_METRICS if name in want} <= set(rank0)
    assert rank0["num_speakers"] == N and len(rank0["per_speaker"]["FRDist"]) == N
    # case()'s softmax expressions make FRRea's covariances singular: then a reordering of the speakers
    # alone moves FRRea by ~3e-11 relative in one process (dist_cases.full_rank_case), hence 1e-9 here.
    _assert_equal(rank0, want, rea_rel=1e-9)


def test_frrea_equals_one_process_to_1e12_with_full_rank_covariances(ranks):
    want = evaluate(*full_rank_case(), per_speaker=True)
    rank0, rank1 = ranks("evaluate-full-rank")
    assert rank0 == rank1
    _assert_equal(rank0, want, rea_rel=1e-12)


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_react_metrics_with_each_ranks_batches_equal_one_evaluate(ranks, protocol):
    want = evaluate(*case(), protocol=protocol, per_speaker=True)
    rank0, rank1 = ranks(f"metrics-{protocol}")
    assert rank0 == rank1
    _assert_equal(rank0, want, rea_rel=1e-9)


@pytest.mark.parametrize("protocol", ["react2024", "corrected"])
def test_sync_and_compute_never_gather_predictions(ranks, protocol):
    """Only counts, sizes, sufficient statistics and per-speaker results cross: no pickled objects,
    and no tensor with a row per frame of a generation."""
    per_rank = {r: sum(len(b) for b in RANK_INDICES[r]) for r in RANK_INDICES}
    metrics = 8 if protocol == "corrected" else 7  # per-speaker metrics gathered
    allowed_gathers = {(1,), (1, 5), (max(per_rank.values()), metrics), (max(per_rank.values()),)}
    allowed_reduces = {(N,), (G, T, 25), (G,), (1,), (75,), (75, 75), (8,)}  # (8,): seconds of the timed metrics
    for calls in ranks(f"audit-{protocol}"):
        ops = {call["op"] for call in calls}
        assert ops <= {"all_gather", "all_reduce"}, ops  # never all_gather_object, broadcast, send...
        for call in calls:
            shapes = {tuple(shape) for shape in call["shapes"]}
            assert shapes <= (allowed_gathers if call["op"] == "all_gather" else allowed_reduces), call
        gathered = sum(np.prod(s) for c in calls if c["op"] == "all_gather" for s in c["shapes"])
        assert gathered < T * 25  # less than one generation of one speaker, for all of it


def test_one_speaker_leaves_a_rank_empty(ranks):
    preds, targets, speaker, a = case()
    want = evaluate(preds[:1], targets, speaker[:1], a[:1], per_speaker=True, rea=False)
    rank0, rank1 = ranks("one-speaker")
    assert rank0 == rank1 and rank0["FRDvs"] is None
    _assert_equal(rank0, want)


def test_a_broken_cover_fails_on_every_rank(ranks):
    for message in ranks("cover-error"):
        assert message == (f"compute needs every one of the {N} samples exactly once over all ranks; 1 missing, "
                           f"1 given more than once. On several processes update each sample on exactly one rank.")


def test_numba_gets_its_share_of_the_cores_then_its_setting_back(ranks):
    import os

    import numba

    share = max(1, min(numba.config.NUMBA_NUM_THREADS, len(os.sched_getaffinity(0)) // 2))
    for seen in ranks("numba-threads"):
        assert seen["inside"] == [share, share]  # one FRDist call per protocol
        assert seen["after"] == numba.config.NUMBA_NUM_THREADS


def test_all_gather_rows_keeps_rank_order_with_uneven_rows(ranks):
    for rows in ranks("gather-rows"):
        assert rows == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]


def test_broadcast_object_gives_every_rank_rank_0s_value(ranks):
    assert ranks("broadcast") == [{"run": "folder chosen by rank 0"}] * 2


def test_cases_are_valid():
    preds, targets, _, a = case()
    assert preds.shape == (N, G, T, 25) and targets.shape == (M, T, 25) and a.sum(axis=1).min() >= 1
