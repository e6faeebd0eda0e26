"""The ``voice_activity`` extractor and ReactDiff's ``cond_voice_activity`` condition."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from react_bench.data import ReactDataset
from react_bench.data.features import Clip, make_extractor
from react_bench.data.features.acoustic import MAX_SILENCE_S, TALK_THRESHOLD, silence_frames
from react_bench.models.reactdiff import ReactDiff, ReactDiffSubmission
from react_bench.models.reactdiff.encoder import input_dims, stream_dims

from reactdiff_helpers import TINY, make_batch, random_streams, stream_online


def _silence_loop(talk):
    """Plain-Python reference: frames since the last talking frame, counting this one."""
    out, run = [], 0
    for talking in talk:
        run = 0 if talking else run + 1
        out.append(run)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=80))
def test_silence_frames_matches_a_frame_by_frame_loop(talk):
    assert silence_frames(np.array(talk, dtype=bool)).tolist() == _silence_loop(talk)


def _audio(levels):
    """16 kHz audio whose 40 ms frame k is a 200 Hz sine of RMS ``levels[k]``."""
    t = np.arange(640) / 16000
    return np.concatenate([level * np.sqrt(2) * np.sin(2 * np.pi * 200 * t) for level in levels]).astype(np.float32)


def _clip(audio):
    T = len(audio) // 640
    return Clip(np.zeros((T, 25), np.float32), np.zeros((T, 58), np.float32), audio, None, "a/b/c/d")


def test_voice_activity_is_talk_and_the_current_silence_in_seconds_capped():
    talk = np.array([1] * 5 + [0] * 3 + [1] * 2 + [0] * 70, dtype=bool)  # the last silence is longer than 2 s
    levels = np.where(talk, 5 * TALK_THRESHOLD, TALK_THRESHOLD / 5)
    out = make_extractor("voice_activity")(_clip(_audio(levels)))
    assert out.shape == (len(talk), 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 0], talk.astype(np.float32))
    expected = np.minimum(_silence_loop(talk), MAX_SILENCE_S * 25) / 25
    np.testing.assert_allclose(out[:, 1], expected, rtol=0, atol=1e-6)
    assert out[:, 1].max() == pytest.approx(MAX_SILENCE_S)


def test_voice_activity_is_causal_and_its_threshold_is_an_option():
    rng = np.random.default_rng(0)
    levels = rng.choice([0.001, 0.05], size=60)
    audio = _audio(levels)
    changed = audio.copy()
    changed[30 * 640:] = rng.normal(0, 0.2, len(changed) - 30 * 640)
    a, b = (make_extractor("voice_activity")(_clip(x)) for x in (audio, changed))
    np.testing.assert_array_equal(a[:30], b[:30])
    assert not np.array_equal(a[30:], b[30:])
    deaf = make_extractor("voice_activity", threshold=1.0)
    assert deaf(_clip(audio))[:, 0].sum() == 0 and deaf.version != make_extractor("voice_activity").version
    with pytest.raises(Exception, match="positive frame RMS"):
        make_extractor("voice_activity", threshold=0)


@pytest.fixture
def va_config(tiny_config):
    return tiny_config.replace(cond_voice_activity=True)


def test_the_condition_reads_voice_activity_past_the_encoder(va_config):
    assert "voice_activity" in input_dims(va_config) and "voice_activity" not in stream_dims(va_config)
    assert [s.name for s in va_config.feature_specs][-1] == "voice_activity"
    assert va_config.cond_channels == va_config.latent_dim + 2
    # an audio feature: the no-audio ablation does not read it
    assert not va_config.replace(use_audio=False).reads_voice_activity
    assert "voice_activity" not in [s.name for s in va_config.replace(use_audio=False).feature_specs]
    model = ReactDiff(va_config).eval()
    streams = random_streams(va_config, 2, 30)
    cond = model.condition(streams)  # (B, T, F + 2)
    torch.testing.assert_close(cond[..., :va_config.latent_dim], model.encode(streams), rtol=0, atol=0)
    torch.testing.assert_close(cond[..., va_config.latent_dim:], streams["voice_activity"], rtol=0, atol=0)
    changed = {**streams, "voice_activity": streams["voice_activity"] + 1}
    a = model.generate(streams, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
    b = model.generate(changed, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
    assert (a - b).abs().max() > 1e-4  # the generations depend on it


def test_generation_stays_frame_causal_with_voice_activity(va_config):
    model = ReactDiff(va_config).eval()
    streams = random_streams(va_config, 2, 40)
    for t in (3, 13, 27):
        changed = {k: v.clone() for k, v in streams.items()}
        changed["voice_activity"][:, t:] += 5.0  # only the voice activity, only after t
        a = model.generate(streams, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
        b = model.generate(changed, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
        torch.testing.assert_close(a[:, :, :t], b[:, :, :t], rtol=0, atol=0)
        assert not torch.allclose(a[:, :, t:], b[:, :, t:])


def test_online_stream_is_causal_and_chunk_free_with_voice_activity():
    sub = ReactDiffSubmission(**{**TINY, "cond_voice_activity": True})
    L = sub.model_config.window
    batch = make_batch(sub.model_config, 2, 3 * L + 4)
    reference = stream_online(sub, batch, L, num_samples=3, seed=4)
    torch.testing.assert_close(stream_online(sub, batch, 7, num_samples=3, seed=4), reference, rtol=0, atol=1e-6)
    t = 2 * L + 3
    batch.features["voice_activity"][:, t:] += 5.0
    changed = stream_online(sub, batch, L, num_samples=3, seed=4)
    torch.testing.assert_close(changed[:, :, :t], reference[:, :, :t], rtol=0, atol=0)
    assert not torch.allclose(changed[:, :, t:], reference[:, :, t:])


def test_fit_on_the_synthetic_set_trains_a_unet_that_reads_it(synthetic_root):
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    sub = ReactDiffSubmission(**{**TINY, "cond_voice_activity": True})
    sub.fit(train, val=val, seed=0)
    c = sub.model_config
    # the input convolution reads x_t (F), then each lag's F latent and 2 voice-activity channels, then the chain
    assert sub.model.unet.inp.in_channels == c.latent_dim + (c.latent_dim + 2) * len(c.cond_lags) + c.latent_dim + 1
    restored = ReactDiffSubmission(**TINY)
    restored.load_state_dict(sub.state_dict())  # the checkpoint's config wins over the instance's
    assert restored.model_config.cond_voice_activity
