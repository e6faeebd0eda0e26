"""The synthetic generator: determinism, layout, person traits, listening in both mirrored halves,
extra reactions, and the structure of the conversation process."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest

from react_bench.constants import FEATURE_SAMPLE_RATE, FILE_FRAMES, FPS, VA_SLICE
from react_bench.data import ReactDataset, SynthConfig, generate_dataset, sample_listener_reactions
from react_bench.data.extra_reactions import EXTRA_REACTIONS, read_extra_reactions
from react_bench.data.io import read_emotion, read_threedmm
from react_bench.data.synth.config import GENERATOR_VERSION
from react_bench.data.synth.conversation import backchannel_events
from react_bench.data.synth.face import AU_INDEX, NoiseStream, causal_smooth
from react_bench.data.synth.listener import talk_mask

AU12, AU25 = AU_INDEX["AU12"], AU_INDEX["AU25"]
VALENCE = VA_SLICE.start
T = 600


def _files(root):
    return {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_seed_same_bytes(synthetic_root, tmp_path):
    again = generate_dataset(tmp_path / "again", seed=0, size="small")
    first, second = _files(synthetic_root), _files(again)
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)
    assert len([name for name in first if name.suffix == ".wav"]) == 2 * (6 + 3 + 3)
    assert len([name for name in first if name.suffix == ".npz"]) == 2 * (3 + 3)  # one per val/test sample


def test_different_seed_different_bytes(synthetic_root, tmp_path):
    config = SynthConfig(seed=1, size="tiny", dyads=(1, 1, 1))
    other = _files(generate_dataset(tmp_path / "seed1", config=config))
    reference = _files(synthetic_root)
    data_files = [name for name in other if name.suffix in {".csv", ".npy", ".wav", ".npz"} and name.name != "val.csv"]
    assert data_files and all(name in reference for name in data_files)
    assert all(other[name] != reference[name] for name in data_files if name.parent.name.startswith("person"))


def test_marker_and_refusal_to_overwrite(synthetic_root):
    marker = json.loads((synthetic_root / "synthetic.json").read_text())
    assert marker["seed"] == 0 and marker["size"] == "small" and marker["dyads"] == {"train": 6, "val": 3, "test": 3}
    assert marker["generator_version"] == GENERATOR_VERSION == "3"
    assert marker["config"]["listener"]["lag_s"] == [0.2, 1.5]
    assert marker["extra_reactions"] == EXTRA_REACTIONS and marker["extra_reaction_splits"] == ["val", "test"]
    assert SynthConfig.from_dict(marker["config"]) == SynthConfig.for_size("small")
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


def test_stored_clips_and_extra_reactions_replay_from_the_seed(synthetic_root):
    """Re-simulating one dyad from its random streams reproduces both persons' files and the extra
    reactions: the files are draws of the public process, deterministic from the seed."""
    from react_bench.data.synth.generate import extra_listeners, person_face, simulate_dyad

    config = SynthConfig.for_size("small")
    dyad = simulate_dyad(config, 1, 0, 2)  # val, session 0, clip 2
    root = synthetic_root
    for person in (0, 1):
        clip = f"synth/val_s000/person{person + 1}/2"
        emotion, threedmm, _ = person_face(dyad, person, config)
        np.testing.assert_allclose(emotion[0], read_emotion(root / "val" / "Emotion" / f"{clip}.csv"), atol=6e-5)
        np.testing.assert_allclose(threedmm[0], read_threedmm(root / "val" / "3D_FV_files" / f"{clip}.npy"),
                                   rtol=1e-3, atol=1e-3)  # stored as float16
        extra, _, _ = person_face(dyad, person, config, draws=EXTRA_REACTIONS, stream=3,
                                  traits=extra_listeners(dyad, person, config))
        np.testing.assert_allclose(extra, read_extra_reactions(root, "val", clip), atol=1e-3)  # float16 storage


def test_traits_persist_per_person(synthetic_root):
    """A person's mood holds over its clips: clip-mean valence varies far less within a person than between persons."""
    from react_bench.data.synth.generate import session_persons

    config = SynthConfig.for_size("small")
    assert session_persons(0, 0, 1, config)[0] == session_persons(0, 0, 1, config)[0]
    ds = ReactDataset(synthetic_root, "train")
    per_person = collections.defaultdict(list)
    for clip in set(ds.clip_paths("speaker")):
        per_person[clip.rsplit("/", 1)[0]].append(ds._read_clip("emotion", clip)[:, VALENCE].mean())
    assert len(per_person) == 4 and all(len(clips) == 3 for clips in per_person.values())  # several clips each
    within = np.mean([np.var(v) for v in per_person.values()])
    between = np.var([np.mean(v) for v in per_person.values()])
    assert within < 0.3 * between


@pytest.mark.parametrize("split", ["train", "test"])
def test_both_mirrored_halves_are_listening_situations(synthetic_root, split):
    """In BOTH halves the listener follows the speaker's valence about a lag later while the speaker
    talks, and keeps its mouth shut while the speaker talks (it speaks in the speaker's silences)."""
    ds = ReactDataset(synthetic_root, split)
    d = len(ds.dyads)
    speaker, listener = ds.emotion("speaker"), ds.emotion("listener")
    for half in (range(d), range(d, 2 * d)):
        follow, mouth = [], []
        for k in half:
            talk = talk_mask(ds.audio(k, "speaker"), speaker.shape[1])
            lag = 20  # within the 0.2-1.5 s range of lags
            voiced = talk[:-lag]
            follow.append(np.corrcoef(speaker[k, :-lag, VALENCE][voiced], listener[k, lag:, VALENCE][voiced])[0, 1])
            mouth.append(listener[k, talk, AU25].mean() - listener[k, ~talk, AU25].mean())
        assert np.mean(follow) > 0.35
        assert np.mean(mouth) < -0.3


def test_extra_reactions_are_other_listeners_in_the_same_conversation(synthetic_root):
    """R listeners with their own reaction traits (prior draws) and the real person's mood, in the
    real conversation: closer to the sample's real listener than to any other sample's."""
    from react_bench.data.synth.generate import extra_listeners, simulate_dyad

    config = SynthConfig.for_size("small")
    dyad = simulate_dyad(config, 2, 0, 1)
    listeners = extra_listeners(dyad, 1, config)
    assert listeners.lag.shape == (EXTRA_REACTIONS,) and len(set(listeners.lag.tolist())) > 1
    assert np.all(listeners.valence_mood == dyad.persons[1].valence_mood)
    assert np.all(listeners.arousal_mood == dyad.persons[1].arousal_mood)
    ds = ReactDataset(synthetic_root, "test")
    listener = ds.emotion("listener")
    extras = np.stack([read_extra_reactions(synthetic_root, "test", c)[:, :750] for c in ds.clip_paths("listener")])
    assert extras.shape == (len(ds), EXTRA_REACTIONS, 750, 25)
    assert not np.array_equal(extras[0, 0], extras[0, 1])  # new private noise
    own = np.sqrt(((extras - listener[:, None]) ** 2).mean(axis=(2, 3))).mean(axis=1)  # (N,)
    other = np.sqrt(((extras - np.roll(listener, 1, axis=0)[:, None]) ** 2).mean(axis=(2, 3))).mean(axis=1)
    assert (own < other).all()  # closer to their own listener than to another sample's


def test_backchannel_rule_is_deterministic_with_a_refractory_time():
    """Plain reference: a start lag frames after each partner pause onset, unless the listener then
    holds the floor or the last accepted onset is closer than the refractory time."""
    frames = 200
    voice = np.ones(frames, dtype=bool)
    for onset in (20, 40, 100, 150):
        voice[onset : onset + 5] = False
    holds = np.zeros(frames, dtype=bool)
    holds[160:] = True  # the listener takes the floor: no backchannel in it
    events = backchannel_events(voice[None], holds[None], np.array([10]), np.array([30]))[0]
    # 20 -> 30; 40 is 20 < 30 frames after 20 (refractory); 100 -> 110; 150 -> 160 falls in the floor.
    assert np.flatnonzero(events).tolist() == [30, 110]


def test_noise_stream_prefix_and_causal_smoothing():
    a = NoiseStream(np.random.default_rng(3), (2,)).get(300)
    stream = NoiseStream(np.random.default_rng(3), (2,))
    b_short, b_long = stream.get(40), stream.get(300)
    np.testing.assert_array_equal(a, b_long)
    np.testing.assert_array_equal(b_short, b_long[:, : b_short.shape[1]])
    smooth = causal_smooth(a, 0.8)
    np.testing.assert_allclose(causal_smooth(a[:, :150], 0.8), smooth[:, :150])  # frame t uses frames <= t
    assert 0.7 < causal_smooth(np.random.default_rng(0).standard_normal((20000, 1)), 0.8).std() < 1.3


def _speaker(valence, talk=None):
    """``(1, T, 25)`` emotion and ``[(L,)]`` audio of a scripted speaker."""
    emotion = np.zeros((1, T, 25), dtype=np.float32)
    emotion[0, :, VALENCE] = valence
    emotion[0, :, 17:25] = 1 / 8
    samples = np.arange(T * FEATURE_SAMPLE_RATE // FPS)
    voice = 0.3 * np.sin(2 * np.pi * 180 * samples / FEATURE_SAMPLE_RATE)
    mask = np.repeat(talk if talk is not None else np.ones(T), FEATURE_SAMPLE_RATE // FPS)
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


def test_sampled_listener_follows_a_talking_speaker_with_a_lag():
    valence = 0.8 * np.sin(2 * np.pi * np.arange(T) / 250)
    emotion, audio = _speaker(valence)  # talks throughout: the listener listens throughout
    reactions, _ = sample_listener_reactions(emotion, audio, num_samples=40, rng=np.random.default_rng(0))
    listener = reactions[0, :, :, VALENCE]  # (S, T)
    lags = np.arange(0, 60)
    corr = np.array([
        np.mean([np.corrcoef(valence[: T - lag], sample[lag:])[0, 1] for sample in listener]) for lag in lags
    ])
    assert corr.max() > 0.6
    assert 0.2 * FPS <= lags[corr.argmax()] <= 1.5 * FPS
    assert listener.std(axis=0).mean() > 0.02  # one speaker, many reactions
    assert reactions[0, :, :, AU25].mean() < 0.2  # a listener does not talk over the speaker


def test_sampled_listener_takes_the_floor_in_long_silences_and_backchannels_at_pauses():
    talk = np.ones(T)
    talk[100:110] = 0  # a short pause: a backchannel opportunity
    talk[300:450] = 0  # 6 s of silence: the listener's turn
    emotion, audio = _speaker(np.zeros(T), talk=talk)
    reactions, threedmm = sample_listener_reactions(emotion, audio, num_samples=30, rng=np.random.default_rng(2))
    lips = reactions[0, :, :, AU25]  # (S, T)
    assert lips[:, 320:440].mean() > 0.6  # talking in its own turn
    assert lips[:, 100:150].mean() > 2 * lips[:, 150:290].mean() + 0.02  # the "mm-hm" after the short pause
