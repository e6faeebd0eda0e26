"""The synthetic generator: determinism, layout, and the structure of the true listener process."""

from __future__ import annotations

import json

import numpy as np
import pytest

from react_bench.constants import FEATURE_SAMPLE_RATE, FILE_FRAMES, FPS, ROTATION_SLICE
from react_bench.data import ReactDataset, SynthConfig, generate_dataset, sample_listener_reactions
from react_bench.data.io import read_emotion, read_threedmm
from react_bench.data.synth.face import AU_INDEX

AU12, AU25 = AU_INDEX["AU12"], AU_INDEX["AU25"]
VALENCE = 15
T = 600


def _files(root):
    return {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_seed_same_bytes(synthetic_root, tmp_path):
    again = generate_dataset(tmp_path / "again", seed=0, size="small")
    first, second = _files(synthetic_root), _files(again)
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)
    assert len([name for name in first if name.suffix == ".wav"]) == 2 * (6 + 3 + 3)


def test_different_seed_different_bytes(synthetic_root, tmp_path):
    config = SynthConfig(seed=1, size="tiny", dyads=(1, 1, 1))
    other = _files(generate_dataset(tmp_path / "seed1", config=config))
    reference = _files(synthetic_root)
    data_files = [name for name in other if name.suffix in {".csv", ".npy", ".wav"} and name.name != "val.csv"]
    assert data_files and all(name in reference for name in data_files)
    assert all(other[name] != reference[name] for name in data_files if name.parent.name.startswith("person"))


def test_marker_and_refusal_to_overwrite(synthetic_root):
    marker = json.loads((synthetic_root / "synthetic.json").read_text())
    assert marker["seed"] == 0 and marker["size"] == "small" and marker["dyads"] == {"train": 6, "val": 3, "test": 3}
    assert marker["config"]["listener"]["lag_s"] == [0.2, 1.5]
    with pytest.raises(FileExistsError, match="already exists and is not empty"):
        generate_dataset(synthetic_root, size="small")
    with pytest.raises(ValueError, match="size must be one of small, medium; got 'huge'"):
        generate_dataset(synthetic_root.parent / "x", size="huge")


def test_interrupted_generation_leaves_nothing_behind(tmp_path, monkeypatch):
    from react_bench.data.synth import generate as generate_module

    write_dyad, calls = generate_module._write_dyad, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return write_dyad(*args, **kwargs)

    monkeypatch.setattr(generate_module, "_write_dyad", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(tmp_path / "out", size="small")
    assert list(tmp_path.iterdir()) == []


def test_files_have_the_real_shapes(synthetic_root):
    ds = ReactDataset(synthetic_root, "train")
    path = ds.clip_path(0, "listener")
    assert read_emotion(ds.file("emotion", path)).shape == (FILE_FRAMES, 25)
    assert read_threedmm(ds.file("3dmm", path)).shape == (FILE_FRAMES, 58)
    assert not (synthetic_root / "train" / "Video_files").exists()


def test_generator_listener_is_a_draw_of_the_public_process(synthetic_root):
    """Replaying the generator's random stream through sample_listener_reactions, on the speaker
    as read from disk, reproduces the listener files: the generator uses the public process."""
    from react_bench.data.synth.generate import _session_persons
    from react_bench.data.synth.speaker import sample_speaker

    config = SynthConfig.for_size("small")
    ds = ReactDataset(synthetic_root, "val", clip_frames=FILE_FRAMES)
    rng = np.random.default_rng([0, 1, 0, 1])  # seed 0, split val, session 0, clip 1 = dyad 0
    sample_speaker(rng, _session_persons(0, 1, 0)[0], config)  # consume the speaker's draws
    emotion, threedmm = sample_listener_reactions(
        ds[0].speaker_emotion[None], [ds.audio(0, "speaker")], num_samples=1, rng=rng, config=config.listener
    )
    np.testing.assert_allclose(emotion[0, 0], ds[0].listener_emotion, atol=6e-5)
    np.testing.assert_allclose(threedmm[0, 0], ds[0].listener_3dmm, rtol=1e-3, atol=1e-3)  # stored as float16


def _speaker(valence, au12=None, talk=None):
    """``(1, T, 25)`` emotion and ``[(L,)]`` audio of a scripted speaker."""
    emotion = np.zeros((1, T, 25), dtype=np.float32)
    emotion[0, :, VALENCE] = valence
    emotion[0, :, 17:25] = 1 / 8
    if au12 is not None:
        emotion[0, :, AU12] = au12
    samples = np.arange(T * FEATURE_SAMPLE_RATE // FPS)
    voice = 0.3 * np.sin(2 * np.pi * 180 * samples / FEATURE_SAMPLE_RATE)
    mask = np.repeat(talk if talk is not None else np.zeros(T), FEATURE_SAMPLE_RATE // FPS)
    return emotion, [(voice * mask).astype(np.float32)]


def test_same_rng_same_reactions_and_validation():
    emotion, audio = _speaker(np.zeros(T))
    first = sample_listener_reactions(emotion, audio, num_samples=3, rng=np.random.default_rng(5))
    second = sample_listener_reactions(emotion, audio, num_samples=3, rng=np.random.default_rng(5))
    assert first[0].shape == (1, 3, T, 25) and first[1].shape == (1, 3, T, 58)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    with pytest.raises(ValueError, match=r"speaker_emotion must be \(B, T, 25\); got \(600, 25\)"):
        sample_listener_reactions(emotion[0], audio, num_samples=1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"one 16 kHz array per speaker \(1\); got 2"):
        sample_listener_reactions(emotion, audio * 2, num_samples=1, rng=np.random.default_rng(0))


def test_listener_valence_follows_lagged_speaker_valence():
    valence = 0.8 * np.sin(2 * np.pi * np.arange(T) / 250)
    emotion, audio = _speaker(valence)
    reactions, _ = sample_listener_reactions(emotion, audio, num_samples=40, rng=np.random.default_rng(0))
    listener = reactions[0, :, :, VALENCE]  # (S, T)
    lags = np.arange(0, 60)
    corr = np.array([
        np.mean([np.corrcoef(valence[: T - lag], sample[lag:])[0, 1] for sample in listener]) for lag in lags
    ])
    assert corr.max() > 0.6
    assert 0.2 * FPS <= lags[corr.argmax()] <= 1.5 * FPS
    # One speaker, many reactions: the samples differ from each other.
    assert listener.std(axis=0).mean() > 0.05


def test_listener_mimics_smiles():
    au12 = (np.arange(T) // 100) % 2  # speaker smiles every other 4 s block
    emotion, audio = _speaker(np.zeros(T), au12=au12)
    reactions, _ = sample_listener_reactions(emotion, audio, num_samples=40, rng=np.random.default_rng(1))
    delayed = np.roll(au12, 40).astype(bool)  # past the longest lag (1.5 s = 38 frames)
    delayed[:40] = False
    smile = reactions[0, :, :, AU12]
    assert smile[:, delayed].mean() > smile[:, ~delayed].mean() + 0.2


def test_listener_backchannels_at_pauses():
    talk = ((np.arange(T) % 150) < 100).astype(float)  # 4 s talk, 2 s pause
    emotion, audio = _speaker(np.zeros(T), talk=talk)
    reactions, threedmm = sample_listener_reactions(emotion, audio, num_samples=60, rng=np.random.default_rng(2))
    after_pause = np.zeros(T, dtype=bool)
    for onset in range(100, T, 150):
        after_pause[onset : onset + 50] = True  # onset + lag (<= 1.5 s) + nod / mm-hm (<= 0.8 s)
    lips = reactions[0, :, :, AU25]
    # Expected rate after a pause: P(backchannel) ~ 0.6 x 10 mm-hm frames / 50 frames ~ 0.12.
    assert lips[:, after_pause].mean() > 0.08
    assert lips[:, after_pause].mean() > 4 * lips[:, ~after_pause].mean()
    pitch_speed = np.abs(np.diff(threedmm[0, :, :, ROTATION_SLICE.start], axis=1))  # (S, T - 1)
    assert pitch_speed[:, after_pause[1:]].mean() > 1.5 * pitch_speed[:, ~after_pause[1:]].mean()
