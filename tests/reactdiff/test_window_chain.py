"""Consecutive latent windows join (``window_chain``): the sampler and the training targets (the
measure, ``react_bench.metrics.smoothness.window_jump_ratio``, is tested in tests/metrics/test_smoothness.py)."""

from __future__ import annotations

from dataclasses import asdict

import pytest
import torch

from react_bench.models.reactdiff import ReactDiff, ReactDiffConfig, ReactDiffSubmission
from react_bench.models.reactdiff.model import condition_windows
from react_bench.models.reactdiff.train import _chain
from react_bench.models.reactdiff.unet import chain_input

from reactdiff_helpers import PLAIN, TINY, make_batch, random_streams, stream_online


def _chained(config):
    model = ReactDiff(config).eval()
    torch.manual_seed(1)
    with torch.no_grad():  # a UNet that visibly reads its chain input (random init would too, but weakly)
        model.unet.inp.weight.normal_()
    return model


def test_sample_windows_chains_each_window_to_the_previous_sample(plain_config):
    """Batched over streams, sequential over windows: equal to a loop that feeds each sampled window's last
    frame to the next window's sampling."""
    model = _chained(plain_config)
    M, W, L, F = 3, 4, plain_config.window, plain_config.latent_dim
    cond = torch.randn(M, W, 2 * L, F)
    noise = torch.randn(M, W, F, L)
    got, residuals = model.sample_windows(cond, generator=torch.Generator().manual_seed(0), noise=noise)
    assert torch.equal(got, residuals)  # no prior, residual_scale 1: the UNet samples x0 itself
    previous, expected = None, []
    for w in range(W):
        chain = None if previous is None else torch.cat([previous[:, -1], torch.ones(M, 1)], dim=1)
        previous = model.sample_latents(cond[:, w], generator=torch.Generator(), noise=noise[:, w], chain=chain)
        expected.append(previous)
    torch.testing.assert_close(got, torch.stack(expected, 1), rtol=0, atol=0)
    # the chain matters: the same windows sampled without it differ from window 1 on, not in window 0
    # (each window sampled on its own, in batches of M as above: float summation order can change with the
    # batch size on some CPUs)
    alone = torch.stack([model.sample_latents(cond[:, w], generator=torch.Generator(), noise=noise[:, w])
                         for w in range(W)], 1)  # (M, W, L, F)
    torch.testing.assert_close(got[:, 0], alone[:, 0], rtol=0, atol=0)
    assert (got[:, 1:] - alone[:, 1:]).abs().max() > 1e-3


def test_without_window_chain_all_windows_are_one_batch(plain_config):
    """window_chain=False: generate is the old independent-window sampler (one batched DDIM loop)."""
    config = plain_config.replace(window_chain=False)
    model = ReactDiff(config).eval()
    assert model.unet.inp.in_channels == config.latent_dim * (1 + len(config.cond_lags))
    streams = random_streams(config, 2, 40)
    emotion, _ = model.generate(streams, num_samples=3, generator=torch.Generator().manual_seed(2))
    L, F = config.window, config.latent_dim
    cond = condition_windows(model.encode(streams), L)[:, None].expand(2, 3, 4, 2 * L, F).reshape(-1, 2 * L, F)
    x0 = model.sample_latents(cond, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(emotion, model.decode(x0.reshape(6, 40, F))[0].reshape(2, 3, 40, -1), rtol=0, atol=0)


def test_training_chain_is_the_previous_window_of_the_same_clip():
    N, W, L, F = 3, 4, 5, 2
    x0 = torch.randn(N * W, L, F)
    chain = _chain(x0, W).reshape(N, W, F + 1)
    clips = x0.reshape(N, W, L, F)
    for n in range(N):
        assert torch.equal(chain[n, 0], torch.zeros(F + 1))  # a clip's first window has none, as at sampling
        for w in range(1, W):
            assert torch.equal(chain[n, w], torch.cat([clips[n, w - 1, -1], torch.ones(1)]))
    assert torch.equal(chain_input(clips[:, 1]), torch.cat([clips[:, 1, -1], torch.ones(N, 1)], dim=1))


@pytest.mark.parametrize("options", [PLAIN, {"residual_scale": 0.5}], ids=["no-prior", "default"])
def test_online_step_chains_windows_across_chunks(options):
    """The last finished window reaches the next one online too: the online stream equals the offline
    sampler fed the same per-window x_T and the causal condition (the causal model reads nothing later
    offline either; with a prior the chain is the residual and the online prior the causal one)."""
    sub = ReactDiffSubmission(**TINY, **options)
    torch.manual_seed(1)
    with torch.no_grad():
        sub.model.unet.inp.weight.normal_()
        if sub.model.prior is not None:
            sub.model.prior.weight.normal_(std=0.3)
            sub.model.prior.weight_ahead.normal_(std=0.3)
    L, B, S = sub.model_config.window, 2, 3
    batch = make_batch(sub.model_config, B, 3 * L)
    online = stream_online(sub, batch, 7, num_samples=S, seed=4)  # (B, S, T, 25)
    m = sub.model
    g = torch.Generator().manual_seed(4)
    noise = torch.stack([m.draw_noise(B * S, generator=g) for _ in range(3)], dim=1)  # drawn window by window, as online
    streams = sub._streams(batch)
    cond = condition_windows(m.condition(streams), L)[:, None].expand(B, S, 3, 2 * L, -1).reshape(B * S, 3, 2 * L, -1)
    x0, _ = m.sample_windows(cond, generator=g, noise=noise)
    offline = m.decode(x0.reshape(B * S, 3 * L, -1))[0].reshape(B, S, 3 * L, -1)
    torch.testing.assert_close(online, offline, rtol=0, atol=1e-5)


def test_checkpoint_config_without_the_new_fields_rebuilds_the_old_network(tiny_config, tmp_path):
    """A checkpoint saved before window_chain / use_mmt existed loads strictly and samples as before."""
    old = ReactDiffSubmission(**{**TINY, "window_chain": False})
    state = old.state_dict()
    for field in ("window_chain", "chain_drop_prob", "use_mmt"):
        state["config"].pop(field)
    assert ReactDiffConfig.from_dict(state["config"]).window_chain is False
    new = ReactDiffSubmission(inference_steps=TINY["inference_steps"])  # sampling options are the instance's
    new.load_state_dict(state)
    batch = make_batch(old.model_config, 1, 20)
    a = old.generate(batch, num_samples=2, generator=torch.Generator().manual_seed(0))
    b = new.generate(batch, num_samples=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a.emotion, b.emotion)
    assert asdict(new.model_config)["window_chain"] is False
