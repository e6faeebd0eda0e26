"""The registered ablations of Table 4, the renamed ``reactdiff-novideo`` and its alias, the ``paper-exact`` preset."""

from __future__ import annotations

import pytest
import torch

from react_bench.cli.main import main
from react_bench.models.reactdiff import PRESETS, ReactDiff
from react_bench.models.reactdiff.encoder import FeatureProjection, MultiModalityTransformer
from react_bench.models.reactdiff.submission import ReactDiffNoMMT, ReactDiffNoVideo
from react_bench.submissions import available_submissions, get_submission, register_submission
from react_bench.submissions.registry import submission_aliases

from reactdiff_helpers import PLAIN, TINY, make_batch, random_streams, stream_online

ABLATIONS = {"reactdiff-nommt": "use_mmt", "reactdiff-nodiffusion": "use_diffusion",
             "reactdiff-novideo": "use_visual", "reactdiff-noaudio": "use_audio"}


@pytest.mark.parametrize("name, field", sorted(ABLATIONS.items()))
def test_each_ablation_switches_off_one_part(name, field):
    sub = get_submission(name)(**TINY)
    assert getattr(sub.model_config, field) is False
    others = {f for f in ABLATIONS.values() if f != field}
    assert all(getattr(sub.model_config, f) is True for f in others)
    out = sub.generate(make_batch(sub.model_config, 1, 25), num_samples=2, generator=torch.Generator().manual_seed(0))
    assert out.emotion.shape == (1, 2, 25, 25) and torch.isfinite(out.threedmm).all()


@pytest.mark.parametrize("name", sorted(ABLATIONS))
def test_each_ablation_streams_online_as_its_offline_frames_allow(name):
    """Online: chunks of any length give the listener frames so far; frames before a cut do not change
    when later speaker frames change (the same model serves the online track)."""
    sub = get_submission(name)(**TINY)
    batch = make_batch(sub.model_config, 1, 25)

    first = stream_online(sub, batch, 6, num_samples=2, seed=3)
    assert first.shape == (1, 2, 25, 25) and torch.isfinite(first).all()
    later = type(batch)(emotion=batch.emotion.clone(), threedmm=batch.threedmm, audio=batch.audio, indices=batch.indices,
                        features={k: v.clone() for k, v in batch.features.items()})
    for v in (later.emotion, *later.features.values()):
        v[:, 13:] += 1.0
    second = stream_online(sub, later, 6, num_samples=2, seed=3)
    torch.testing.assert_close(first[:, :, :13], second[:, :, :13], rtol=0, atol=0)
    assert not torch.equal(first[:, :, 13:], second[:, :, 13:])


def test_nommt_is_one_linear_map_per_frame(tiny_config):
    model = ReactDiff(tiny_config.replace(use_mmt=False)).eval()
    assert isinstance(model.encoder, FeatureProjection) and isinstance(ReactDiff(tiny_config).encoder, MultiModalityTransformer)
    assert [type(m) for m in model.encoder.children()] == [torch.nn.Linear]
    streams = random_streams(model.config, 2, 20)
    z = model.encoder(streams)
    changed = {k: v.clone() for k, v in streams.items()}
    for v in changed.values():
        v[:, 7] += 1.0
    diff = (model.encoder(changed) - z).abs().amax(dim=(0, 2))  # (T,)
    assert diff[7] > 0 and diff[:7].eq(0).all() and diff[8:].eq(0).all()  # no mixing across frames
    x = torch.cat([streams[n] for n in model.encoder.dims], dim=-1)  # input statistics are identity before fit
    torch.testing.assert_close(z, model.encoder.proj(x))


def test_novideo_is_registered_once_and_answers_to_its_old_name(capsys):
    assert get_submission("reactdiff-novisual") is get_submission("reactdiff-novideo") is ReactDiffNoVideo
    assert ReactDiffNoVideo.name == "reactdiff-novideo"
    assert "reactdiff-novisual" not in available_submissions()
    assert submission_aliases()["reactdiff-novisual"] == "reactdiff-novideo"
    assert {"reactdiff", "reactdiff-nommt", "reactdiff-nodiffusion", "reactdiff-novideo", "reactdiff-noaudio"} <= set(available_submissions())
    assert get_submission("reactdiff-nommt") is ReactDiffNoMMT
    assert main(["list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert names.count("reactdiff-novideo") == 1 and "reactdiff-novisual" not in names


def test_an_alias_cannot_take_a_registered_name():
    with pytest.raises(ValueError, match="submission name 'reactdiff' is already registered"):
        register_submission("reactdiff-other", aliases=("reactdiff",))(type("Other", (ReactDiffNoVideo,), {}))
    with pytest.raises(KeyError, match=r"reactdiff-novisual \(alias of reactdiff-novideo\)"):
        get_submission("reactdiff-novisuals")


def test_paper_exact_preset_is_the_papers_sampler_and_schedule():
    c = PRESETS["paper-exact"]
    assert c.cond_lags == () and not c.window_chain  # window condition only, windows independent
    assert c.guidance_scale == 1.0 and c.cond_drop_prob == 0.0 and c.temperature == 1.0
    assert (c.train_timesteps, c.inference_steps, c.beta_schedule) == (20, 20, "cosine")
    assert (c.lr, c.batch_size, c.stage1_epochs, c.stage2_epochs) == (5e-3, 16, 100, 500)
    assert not c.causal and not c.unet_causal and not c.speaker_emotion
    # none of the small default's additions: the listener latent itself is diffused, conditioned on the face alone
    assert not (c.cond_voice_activity or c.linear_prior or c.prior_look_ahead) and c.residual_scale == 1.0


def test_nodiffusion_keeps_its_whole_regression():
    """residual_scale shrinks diffusion samples; the regression's residual is the conditional mean, kept whole."""
    assert PRESETS["small"].residual_scale < 1.0
    assert get_submission("reactdiff-nodiffusion")(**TINY).model_config.residual_scale == 1.0


def test_paper_exact_at_tiny_size_trains_a_step_and_samples(tiny_config):
    """The window-level condition alone (cond_lags empty) builds, trains and samples."""
    exact = PRESETS["paper-exact"]
    config = tiny_config.replace(cond_lags=(), window_chain=False, guidance_scale=1.0, temperature=1.0, cond_drop_prob=0.0,
                                 train_timesteps=20, inference_steps=20, beta_schedule="cosine", causal=exact.causal,
                                 unet_causal=exact.unet_causal, **PLAIN)
    model = ReactDiff(config)
    assert model.unet.inp.in_channels == config.latent_dim
    L, F = config.window, config.latent_dim
    x0, cond = torch.randn(4, L, F), torch.randn(4, 2 * L, F)
    loss = model.diffusion_loss(x0, cond, torch.Generator().manual_seed(0))
    loss.backward()
    assert model.unet.inp.weight.grad.abs().sum() > 0
    model.eval()
    out = model.sample_latents(cond, generator=torch.Generator().manual_seed(0))
    assert out.shape == (4, L, F) and torch.isfinite(out).all()


def test_paper_exact_is_reachable_with_config(capsys, tmp_path):
    # the preset resolves (an unknown one is a user error listing it) and builds its network
    assert main(["train", "reactdiff", "--config", "huge", "--data", str(tmp_path)]) == 2
    assert "available: small, paper, paper-exact" in capsys.readouterr().err
    small = {k: v for k, v in TINY.items() if k != "cond_lags"}
    built = get_submission("reactdiff")(preset="paper-exact", **small, au_feature=("face_au", 8),
                                        face_features=(("face_fe", 8), ("face_va", 8)), wav2vec2_feature=None)
    assert built.model_config.cond_lags == () and built.model_config.guidance_scale == 1.0
