"""ReactDataset on the small synthetic dataset: shapes, mirrored order, errors, fingerprint, features."""

from __future__ import annotations

import numpy as np
import pytest

from react_bench.constants import CLIP_FRAMES, EMOTION_DIM, FEATURE_SAMPLE_RATE, FPS, THREEDMM_DIM
from react_bench.data import ReactDataset, ReactSample
from react_bench.data.io import read_emotion, read_split, read_threedmm


@pytest.fixture(scope="module")
def val(synthetic_root):
    return ReactDataset(synthetic_root, "val")


def test_lengths_and_shapes(val, synthetic_root):
    dyads = read_split(synthetic_root / "val.csv")
    assert len(val) == 2 * len(dyads) == 6
    sample = val[0]
    assert isinstance(sample, ReactSample)
    assert sample.speaker_emotion.shape == sample.listener_emotion.shape == (CLIP_FRAMES, EMOTION_DIM)
    assert sample.speaker_3dmm.shape == sample.listener_3dmm.shape == (CLIP_FRAMES, THREEDMM_DIM)
    assert sample.speaker_emotion.dtype == sample.speaker_3dmm.dtype == np.float32
    assert val.emotion("speaker").shape == (6, CLIP_FRAMES, EMOTION_DIM)
    assert val.threedmm("listener").shape == (6, CLIP_FRAMES, THREEDMM_DIM)
    assert val.audio(0, "speaker").shape == (CLIP_FRAMES * FEATURE_SAMPLE_RATE // FPS,)
    assert val.audio(0, "speaker").dtype == np.float32


def test_mirrored_order_follows_the_split_file(val, synthetic_root):
    dyads = read_split(synthetic_root / "val.csv")
    half = len(dyads)
    for k, (speaker, listener) in enumerate(dyads):
        assert (val[k].speaker_path, val[k].listener_path) == (speaker, listener)
        assert (val[k + half].speaker_path, val[k + half].listener_path) == (listener, speaker)
    np.testing.assert_array_equal(val.emotion("speaker")[half:], val.emotion("listener")[:half])
    np.testing.assert_array_equal(val.threedmm("listener")[half:], val.threedmm("speaker")[:half])


def test_stacked_arrays_equal_a_per_file_loop(synthetic_root):
    ds = ReactDataset(synthetic_root, "test")
    for k in range(len(ds)):
        emotion_file = ds.file("emotion", ds.clip_path(k, "listener"))
        np.testing.assert_array_equal(ds[k].listener_emotion, read_emotion(emotion_file)[:CLIP_FRAMES])
        np.testing.assert_array_equal(ds.emotion("listener")[k], read_emotion(emotion_file)[:CLIP_FRAMES])
        threedmm_file = ds.file("3dmm", ds.clip_path(k, "speaker"))
        np.testing.assert_array_equal(ds.threedmm("speaker")[k], read_threedmm(threedmm_file)[:CLIP_FRAMES])


def test_train_split_is_mirrored_too(synthetic_root):
    train = ReactDataset(synthetic_root, "train")
    assert len(train) == 12
    assert train.clip_path(6, "speaker") == train.clip_path(0, "listener")


def test_clip_frames_cut(synthetic_root):
    ds = ReactDataset(synthetic_root, "val", clip_frames=100)
    assert ds.emotion("speaker").shape == (6, 100, EMOTION_DIM)
    assert ds.audio(1, "listener").shape == (100 * FEATURE_SAMPLE_RATE // FPS,)


def test_synthetic_marker_and_fingerprint(val, synthetic_root):
    assert val.is_synthetic
    assert val.synthetic_config["seed"] == 0
    assert len(val.fingerprint) == 64
    assert val.fingerprint == ReactDataset(synthetic_root, "val").fingerprint
    assert val.fingerprint != ReactDataset(synthetic_root, "test").fingerprint


def test_fingerprint_changes_with_a_data_file(corruptible_root):
    before = ReactDataset(corruptible_root, "val").fingerprint
    ds = ReactDataset(corruptible_root, "val")
    path = ds.file("3dmm", ds.clip_path(0, "listener"))
    array = np.load(path)
    array[0, 0] += 1
    np.save(path, array)
    assert ReactDataset(corruptible_root, "val").fingerprint != before
    (corruptible_root / "synthetic.json").unlink()
    assert not ReactDataset(corruptible_root, "val").is_synthetic


def test_audio_is_resampled_to_16k(corruptible_root):
    from react_bench.data.io import read_wav
    import wave

    ds = ReactDataset(corruptible_root, "val")
    path = ds.file("audio", ds.clip_path(0, "speaker"))
    original = ds.audio(0, "speaker")
    samples, _ = read_wav(path)
    upsampled = np.repeat(samples[:, 0], 3)  # the same signal at 48 kHz (sample-and-hold)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(48_000)
        stereo = np.stack([upsampled, upsampled], axis=1)
        handle.writeframes((stereo * 32768).astype("<i2").tobytes())
    resampled = ds.audio(0, "speaker")
    assert resampled.shape == original.shape
    # Sample-and-hold adds high-frequency images that the resampler removes; the voice stays.
    assert np.corrcoef(resampled, original)[0, 1] > 0.95


def test_errors_name_the_file_and_the_fix(synthetic_root, corruptible_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"dataset root .*nowhere not found.*react-bench data synth"):
        ReactDataset(tmp_path / "nowhere", "val")
    with pytest.raises(ValueError, match=r"split must be one of train, val, test; got 'dev'"):
        ReactDataset(synthetic_root, "dev")
    (corruptible_root / "test.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"split file .*test\.csv not found"):
        ReactDataset(corruptible_root, "test")
    ds = ReactDataset(corruptible_root, "val")
    missing = ds.file("emotion", ds.clip_path(1, "speaker"))
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=rf"emotion file {missing} not found"):
        ds[1]
    with pytest.raises(FileNotFoundError, match="emotion file .* not found"):
        ds.emotion("speaker")
    with pytest.raises(ValueError, match="role must be one of speaker, listener; got 'talker'"):
        ds.emotion("talker")
    with pytest.raises(IndexError, match="sample index 6 out of range for 6 samples"):
        ds[6]


def test_truncated_clip_is_a_clear_error(corruptible_root):
    ds = ReactDataset(corruptible_root, "val")
    path = ds.file("3dmm", ds.clip_path(0, "speaker"))
    np.save(path, np.load(path)[:500])
    with pytest.raises(ValueError, match=rf"3dmm file {path} has 500 frames; expected at least 750.*data check"):
        ds[0]
