"""The online track: the runner streams the speaker chunk by chunk and never hands over a future frame."""

from __future__ import annotations

import json

import numpy as np

from harness_helpers import Recorder, fake_evaluate
from react_bench.data import ReactDataset
from react_bench.runner import run_submission
from react_bench.runner.audit import AUDIT_CUTS
from react_bench.constants import SAMPLES_PER_FRAME
from react_bench.submissions import ONLINE_CHUNK_FRAMES


def test_submission_never_sees_a_frame_beyond_its_chunk(synthetic_root, tmp_path):
    Recorder.seen.clear()
    path = run_submission("test-recorder", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path, batch_size=4,
                          num_samples=2, progress=False)
    dataset = ReactDataset(synthetic_root, "test")
    speaker = dataset.emotion("speaker")  # (N, T, 25)
    T = speaker.shape[1]
    # one reset per batch, then the causality audit's streams: the original twice and one per cut
    assert len(Recorder.seen) == 2 + 2 + AUDIT_CUTS
    for stream in Recorder.seen[:2]:
        starts = [start for start, *_ in stream]
        assert starts == list(range(0, T, ONLINE_CHUNK_FRAMES))  # every window once, in order
        for start, emotion, audio, indices in stream:
            stop = min(start + ONLINE_CHUNK_FRAMES, T)
            # exactly the frames of this window, nothing later
            np.testing.assert_array_equal(emotion.numpy(), speaker[indices.numpy(), start:stop])
            assert audio.shape[1] == (stop - start) * SAMPLES_PER_FRAME
    preds = np.load(path / "predictions.npy")
    np.testing.assert_array_equal(preds[:, 1], speaker)  # the windows were put back in order


def test_online_record_has_latency_and_real_time_factor(synthetic_root, tmp_path):
    path = run_submission("mime", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path, batch_size=4, progress=False)
    online = json.loads((path / "results.json").read_text())["online"]
    assert online["chunk_frames"] == ONLINE_CHUNK_FRAMES
    assert online["windows"] == 2 * 15  # 2 batches x 750 / 50 windows
    latency = online["latency_ms"]
    assert 0 < latency["mean"] <= latency["p95"] <= latency["max"]
    assert online["real_time_factor"] > 0


def test_audit_streams_never_see_a_frame_beyond_their_chunk(synthetic_root, tmp_path):
    Recorder.seen.clear()
    run_submission("test-recorder", scorer=fake_evaluate, track="online", data=synthetic_root, out=tmp_path,
                   batch_size=4, num_samples=2, chunk_frames=30, progress=False)
    for stream in Recorder.seen:  # the run's batches and the audit's streams alike
        starts = [start for start, *_ in stream]
        assert starts == list(range(0, 30 * len(stream), 30))
        for start, emotion, audio, _ in stream:
            assert emotion.shape[1] == 30 and audio.shape[1] == 30 * SAMPLES_PER_FRAME
