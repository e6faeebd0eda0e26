"""Each baseline: output shape on both tracks, and what it is defined to return."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from react_bench.data import ReactDataset
from react_bench.runner import SpeakerStreams
from react_bench.runner.generate import generate_offline, generate_online
from react_bench.submissions import get_submission

S = 4  # samples per speaker (smaller than 10 to keep the tests fast)


@pytest.fixture(scope="module")
def test_split(synthetic_root):
    return ReactDataset(synthetic_root, "test")


@pytest.fixture(scope="module")
def streams(test_split):
    return SpeakerStreams(test_split)


def make(name, synthetic_root, test_split):
    submission = get_submission(name)()
    if submission.needs_fit:
        submission.fit(ReactDataset(synthetic_root, "train"), seed=0)
    submission.bind(test_split)
    return submission


def run_track(submission, streams, indices, track, seed=0):
    generate = generate_online if track == "online" else generate_offline
    generator = torch.Generator().manual_seed(seed)
    return generate(submission, streams, indices, num_samples=S, generator=generator, device=torch.device("cpu"))


@pytest.mark.parametrize("track", ["offline", "online"])
@pytest.mark.parametrize("name", ["gt", "random", "mime", "meanseq", "meanfr", "oracle"])
def test_shape_on_both_tracks(name, track, synthetic_root, test_split, streams):
    indices = np.arange(3)
    out = run_track(make(name, synthetic_root, test_split), streams, indices, track)
    T = streams.num_frames
    assert out.emotion.shape == (3, S, T, 25)
    assert np.isfinite(out.emotion).all()
    if out.threedmm is not None:
        assert out.threedmm.shape == (3, S, T, 58)
    if track == "online":
        assert len(out.latencies) == -(-T // 50)


@pytest.mark.parametrize("track", ["offline", "online"])
def test_mime_is_the_speaker(track, synthetic_root, test_split, streams):
    indices = np.array([1, 4])
    out = run_track(make("mime", synthetic_root, test_split), streams, indices, track)
    speaker = test_split.emotion("speaker")[indices]  # (2, T, 25)
    for s in range(S):
        np.testing.assert_array_equal(out.emotion[:, s], speaker)
        np.testing.assert_array_equal(out.threedmm[:, s], test_split.threedmm("speaker")[indices])


@pytest.mark.parametrize("track", ["offline", "online"])
def test_gt_is_the_listener(track, synthetic_root, test_split, streams):
    indices = np.array([0, 5])
    out = run_track(make("gt", synthetic_root, test_split), streams, indices, track)
    for s in range(S):
        np.testing.assert_array_equal(out.emotion[:, s], test_split.emotion("listener")[indices])


def test_meanseq_is_the_per_frame_training_mean(synthetic_root, test_split, streams):
    train = ReactDataset(synthetic_root, "train")
    clips = list(train.emotion("speaker")) + list(train.emotion("listener"))
    reference = sum(c.astype(np.float64) for c in clips) / len(clips)  # (T, 25), a plain loop
    out = run_track(make("meanseq", synthetic_root, test_split), streams, np.arange(2), "offline")
    np.testing.assert_allclose(out.emotion[1, 2], reference, rtol=1e-6, atol=1e-6)
    assert not np.allclose(out.emotion[0, 0, 0], out.emotion[0, 0, 100])  # varies over time


@pytest.mark.parametrize("track", ["offline", "online"])
def test_meanfr_is_constant_over_time_and_equals_the_time_mean(track, synthetic_root, test_split, streams):
    sub = make("meanfr", synthetic_root, test_split)
    out = run_track(sub, streams, np.arange(2), track)
    np.testing.assert_array_equal(out.emotion, np.broadcast_to(out.emotion[:, :, :1], out.emotion.shape))
    seq = make("meanseq", synthetic_root, test_split)
    mean_seq = run_track(seq, streams, np.arange(1), "offline").emotion[0, 0]  # (T, 25)
    np.testing.assert_allclose(out.emotion[0, 0, 0], mean_seq.mean(axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("track", ["offline", "online"])
def test_random_is_uniform_unit_and_seeded(track, synthetic_root, test_split, streams):
    sub = make("random", synthetic_root, test_split)
    a = run_track(sub, streams, np.arange(2), track, seed=3).emotion
    b = run_track(sub, streams, np.arange(2), track, seed=3).emotion
    c = run_track(sub, streams, np.arange(2), track, seed=4).emotion
    assert a.min() >= 0.0 and a.max() < 1.0
    assert abs(a.mean() - 0.5) < 0.01  # 150k uniform draws: sd of the mean is 0.0007
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_oracle_refuses_real_data(corruptible_root):
    (corruptible_root / "synthetic.json").unlink()
    with pytest.raises(ValueError, match="only works on the synthetic dataset"):
        get_submission("oracle")().bind(ReactDataset(corruptible_root, "test"))


def test_oracle_samples_differ_and_follow_the_seed(synthetic_root, test_split, streams):
    sub = make("oracle", synthetic_root, test_split)
    a = run_track(sub, streams, np.arange(2), "offline", seed=1).emotion
    b = run_track(sub, streams, np.arange(2), "offline", seed=1).emotion
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[:, 0], a[:, 1])  # one-to-many: each sample has its own listener style


def test_meanseq_unfitted_is_a_clear_error(test_split, streams):
    with pytest.raises(ValueError, match="'meanseq' is not fitted"):
        run_track(get_submission("meanseq")(), streams, np.arange(1), "offline")
