"""The Oracle: offline sampler of the synthetic conversation process and its causal online mode."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from react_bench.data import ReactDataset
from react_bench.runner import SpeakerStreams
from react_bench.submissions import get_submission
from react_bench.submissions.interface import SpeakerBatch

S = 3


@pytest.fixture(scope="module")
def test_split(synthetic_root):
    return ReactDataset(synthetic_root, "test")


@pytest.fixture(scope="module")
def streams(test_split):
    return SpeakerStreams(test_split)


def _oracle(split, **config):
    oracle = get_submission("oracle")(**config)
    oracle.bind(split)
    return oracle


def _online(oracle, streams, indices, *, chunk, stop=None, seed=0, edit=None):
    """Frames ``(B, S, stop, 25)`` of a stream fed in chunks of ``chunk`` frames."""
    stop = stop or streams.num_frames
    oracle.reset(len(indices), num_samples=S, generator=torch.Generator().manual_seed(seed))
    out = []
    for start in range(0, stop, chunk):
        batch = streams.batch(indices, start=start, stop=min(start + chunk, stop))
        if edit is not None:
            batch = edit(batch)
        out.append(oracle.step(batch).emotion.numpy())
    return np.concatenate(out, axis=2)


def test_online_prefix_run_gives_the_frames_of_the_full_run(test_split, streams):
    oracle, indices = _oracle(test_split), np.array([0, 4])
    full = _online(oracle, streams, indices, chunk=50)
    assert full.shape == (2, S, streams.num_frames, 25) and np.isfinite(full).all()
    prefix = _online(oracle, streams, indices, chunk=50, stop=300)
    np.testing.assert_array_equal(prefix, full[:, :, :300])
    other_chunks = _online(oracle, streams, indices, chunk=37)  # the chunking does not matter either
    np.testing.assert_array_equal(other_chunks, full)
    one_chunk = _online(oracle, streams, indices, chunk=streams.num_frames)
    np.testing.assert_array_equal(one_chunk, full)


def test_online_frame_t_ignores_later_speaker_frames(test_split, streams):
    """Changing the speaker after frame 400 changes nothing before it (causal, not just chunked)."""
    oracle, indices = _oracle(test_split), np.array([1, 3])
    full = oracle_full = _online(oracle, streams, indices, chunk=streams.num_frames)

    def scramble(batch: SpeakerBatch) -> SpeakerBatch:
        emotion, audio = batch.emotion.clone(), batch.audio.clone()
        emotion[:, 400:] = emotion[:, 400:].flip(0)
        audio[:, 400 * 640 :] = 0.0
        return SpeakerBatch(emotion=emotion, threedmm=batch.threedmm, audio=audio, indices=batch.indices)

    edited = _online(oracle, streams, indices, chunk=streams.num_frames, edit=scramble)
    np.testing.assert_array_equal(edited[:, :, :400], full[:, :, :400])
    assert not np.array_equal(edited[:, :, 400:], oracle_full[:, :, 400:])


def test_online_follows_the_stream_seed(test_split, streams):
    oracle, indices = _oracle(test_split), np.array([2])
    a = _online(oracle, streams, indices, chunk=50, seed=1)
    b = _online(oracle, streams, indices, chunk=50, seed=2)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a[:, 0], a[:, 1])  # each stream sample is its own listener


def test_offline_reads_ahead_and_beats_copying_the_speaker(test_split, streams):
    """The offline sampler (reading the speaker ahead by a lag) is closer to the real listener than
    the speaker itself, and than its own causal variant."""
    oracle, indices = _oracle(test_split), np.arange(len(test_split))
    batch = streams.batch(indices)
    offline = oracle.generate(batch, num_samples=S, generator=torch.Generator().manual_seed(0)).emotion.numpy()
    online = _online(oracle, streams, indices, chunk=50)
    listener, speaker = test_split.emotion("listener"), test_split.emotion("speaker")
    rms = lambda x: np.sqrt(((x - listener[:, None]) ** 2).mean())  # noqa: E731
    assert rms(offline) < rms(speaker[:, None])
    assert rms(offline) < rms(online)


def test_conversation_draws_are_narrower_than_independent_draws(test_split, streams):
    """Default: one imagined conversation per speaker, S listeners; "independent": everything per reaction."""
    batch = streams.batch(np.arange(4))
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    conversation = _oracle(test_split).generate(batch, num_samples=S, generator=gen()).emotion
    independent = _oracle(test_split, draws="independent").generate(batch, num_samples=S, generator=gen()).emotion
    spread = lambda x: float((x - x.mean(dim=1, keepdim=True)).square().mean())  # noqa: E731
    assert spread(conversation) < spread(independent)
    assert not torch.equal(conversation[:, 0], conversation[:, 1])  # still S different listeners
    with pytest.raises(ValueError, match="draws must be one of conversation, independent"):
        _oracle(test_split, draws="shared").generate(batch, num_samples=S, generator=gen())


def test_oracle_refuses_an_old_generator_version(corruptible_root):
    marker = corruptible_root / "synthetic.json"
    record = json.loads(marker.read_text())
    record["generator_version"] = "1"
    marker.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="needs a dataset of synthetic generator version 3; .* version '1'"):
        get_submission("oracle")().bind(ReactDataset(corruptible_root, "test"))
