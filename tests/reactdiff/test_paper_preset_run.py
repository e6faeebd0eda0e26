"""The ``paper`` preset end to end through ``react-bench run``: feature specs with options (dims, a local
wav2vec2) reach the extractors, one training step per stage and one DDIM step run on the real data path.

Tiny sizes by ``--set`` (the paper's 25088-d AU features and 1024-wide layers would need a GPU); a tiny
randomly initialised wav2vec2 is saved in the test. Nothing is downloaded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from react_bench.cli.main import main
from react_bench.data import ReactDataset, generate_dataset
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.results import read_results

transformers = pytest.importorskip("transformers", reason="transformers (a core dependency in pyproject) is not installed")

TINY_PAPER = dict(
    au_feature=["face_au", 24], face_features=[["face_fe", 12], ["face_va", 6]],  # not the extractors' default dims
    d_model=16, latent_dim=4, heads=2, encoder_layers=1, decoder_layers=1, unet_channels=8, cond_dim=16,
    stage1_epochs=1, stage2_epochs=1, batch_size=16, stage2_batch_size=16 * 15,  # 12 training clips: 1 step each
    train_timesteps=20, inference_steps=1,  # one DDIM step
)


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    config = Wav2Vec2Config(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                            conv_dim=(8,) * 7, num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("w2v") / "tiny-wav2vec2"
    Wav2Vec2Model(config).save_pretrained(folder)
    return folder  # frames of 2 x 8 = 16 channels


@pytest.fixture(scope="module")
def paper_root(tmp_path_factory):
    return generate_dataset(tmp_path_factory.mktemp("paper-data") / "small", size="small")


def _set(options: dict) -> list[str]:
    return [arg for k, v in options.items() for arg in ("--set", f"{k}={json.dumps(v)}")]


@pytest.mark.parametrize("preset", ["paper", "paper-exact"])
def test_paper_preset_trains_and_samples_through_react_bench_run(tmp_path, paper_root, tiny_wav2vec2, monkeypatch, preset,
                                                                 capsys):
    root = paper_root
    options = {"preset": preset, **TINY_PAPER, "wav2vec2_path": str(tiny_wav2vec2), "wav2vec2_feature": ["wav2vec2", 16]}
    built = []
    from react_bench.data.features import base

    original = base.FeatureSpec.build
    monkeypatch.setattr(base.FeatureSpec, "build", lambda self: built.append(self) or original(self))
    steps = []
    from react_bench.models.reactdiff import train as train_module

    for stage in ("reconstruction_loss", "diffusion_loss"):
        fn = getattr(train_module, stage)
        monkeypatch.setattr(train_module, stage, lambda *a, _fn=fn, _stage=stage, **k: steps.append(_stage) or _fn(*a, **k))
    out = tmp_path / "runs"
    argv = ["run", "reactdiff", "--data", str(root), "--out", str(out), "--quiet", "--num-samples", "2", *_set(options)]
    assert main(argv) == 0
    # the options of every feature reached its extractor: the configured dims and the local wav2vec2
    by_name = {spec.name: dict(spec.options) for spec in built}
    assert by_name["face_au"]["dim"] == 24 and by_name["face_fe"]["dim"] == 12 and by_name["face_va"]["dim"] == 6
    assert by_name["wav2vec2"]["path"] == str(tiny_wav2vec2) and by_name["mfcc"]["n_mfcc"] == 26
    # one optimiser step per stage (12 training clips < batch 16; 180 windows < 240), plus their validation
    assert steps.count("reconstruction_loss") >= 1 and steps.count("diffusion_loss") == 1
    record = read_results(next(out.rglob("results.json")))
    effective = record["submission"]["effective_config"]
    assert effective["causal"] is False and effective["wav2vec2_feature"] == ["wav2vec2", 16]
    predictions = np.load(next(out.rglob("predictions.npy")), mmap_mode="r")
    test = ReactDataset(root, "test")
    assert predictions.shape[:3] == (len(test), 2, test.clip_frames) and np.isfinite(predictions).all()
    assert all(np.isfinite(entry["value"]) for entry in record["metrics"].values())
    if preset == "paper-exact":  # the paper's sampler and schedule reached the fitted model
        assert effective["cond_lags"] == [] and effective["window_chain"] is False
        assert (effective["guidance_scale"], effective["temperature"], effective["cond_drop_prob"]) == (1.0, 1.0, 0.0)
        assert (effective["train_timesteps"], effective["beta_schedule"], effective["lr"]) == (20, "cosine", 5e-3)
        # not frame-causal (the paper's attention reads the whole window): the online track refuses it by name
        capsys.readouterr()
        assert main([*argv[:2], "--track", "online", *argv[2:]]) == 2
        assert "the online track needs a frame-causal model" in capsys.readouterr().err


def test_a_wav2vec2_width_that_does_not_match_the_config_names_the_field(paper_root, tiny_wav2vec2):
    root = paper_root
    sub = ReactDiffSubmission(preset="paper", **{**TINY_PAPER, "wav2vec2_path": str(tiny_wav2vec2)})  # expects 1536
    with pytest.raises(ValueError, match=r"feature 'wav2vec2' has 16 channels but the ReactDiff config expects 1536; "
                                         r"set wav2vec2_feature to match"):
        sub.fit(ReactDataset(root, "train"), val=None, seed=0)
