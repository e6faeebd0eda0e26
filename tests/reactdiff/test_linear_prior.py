"""``linear_prior``: the closed-form prior mean of stage 2 and the residual diffusion around it."""

import numpy as np
import pytest
import torch

from react_bench.data import ReactDataset
from react_bench.models.reactdiff import ReactDiff, ReactDiffSubmission
from react_bench.models.reactdiff.prior import LONG_SILENCE_S, PENALTIES, LinearPrior

from reactdiff_helpers import TINY, random_streams


@pytest.fixture
def prior_config(tiny_config):
    return tiny_config.replace(cond_voice_activity=True, linear_prior=True)


def _cond(config, n, seed=0):
    """Random condition windows ``(n, 2L, F + 2)`` whose voice activity is a plausible talk / silence pair."""
    g = torch.Generator().manual_seed(seed)
    L, F = config.window, config.latent_dim
    cond = torch.randn(n, 2 * L, F + 2, generator=g)
    cond[..., F] = (torch.rand(n, 2 * L, generator=g) > 0.5).float()
    cond[..., F + 1] = torch.rand(n, 2 * L, generator=g) * 2
    return cond


def _features_loop(prior, cond):
    """Plain-Python reference of the prior's features, frame by frame."""
    c = prior.config
    L, F = c.window, c.latent_dim
    out = np.zeros((cond.shape[0], L, prior.num_features))
    for n in range(cond.shape[0]):
        for j in range(L):
            row = [1.0]
            for lag in prior.lags:
                row += cond[n, L + j - lag].tolist()
            long = float(cond[n, L + j, F + 1] >= LONG_SILENCE_S)
            for lag in prior.lags:
                row += (long * cond[n, L + j - lag, :F]).tolist()
            out[n, j] = row
    return out


def test_features_match_a_frame_by_frame_reference(prior_config):
    prior = LinearPrior(prior_config)
    cond = _cond(prior_config, 3)
    np.testing.assert_allclose(prior.features(cond).numpy(), _features_loop(prior, cond), rtol=0, atol=1e-6)


def test_fit_is_the_ridge_solution_and_picks_the_penalty_on_val(prior_config):
    prior = LinearPrior(prior_config)
    cond, val_cond = _cond(prior_config, 200, seed=1), _cond(prior_config, 50, seed=2)
    g = torch.Generator().manual_seed(3)
    truth = torch.randn(prior.num_features, prior_config.latent_dim, generator=g, dtype=torch.float64)
    x0 = (prior.features(cond).double() @ truth).float() + 0.1 * torch.randn(200, prior_config.window, prior_config.latent_dim, generator=g)
    val_x0 = (prior.features(val_cond).double() @ truth).float()
    errors = prior.fit(cond, x0, val_cond, val_x0)
    assert set(errors) == set(PENALTIES) and float(prior.penalty) == min(errors, key=errors.get)
    # reference: numpy's solve of the same normal equations at the chosen penalty
    x = prior.features(cond).double().flatten(0, 1).numpy()
    y = x0.double().flatten(0, 1).numpy()
    ridge = float(prior.penalty) * len(x) * np.eye(x.shape[1])
    ridge[0, 0] = 0
    expected = np.linalg.solve(x.T @ x + ridge, x.T @ y)
    np.testing.assert_allclose(prior.weight.double().numpy(), expected, rtol=1e-4, atol=1e-4)
    assert errors[float(prior.penalty)] < 0.05  # it recovers the map (noise-free val targets)


def _pair(prior_config):
    """The same UNet with and without a (random) prior."""
    with_prior = ReactDiff(prior_config).eval()
    with_prior.prior.weight.normal_(generator=torch.Generator().manual_seed(5))
    without = ReactDiff(prior_config.replace(linear_prior=False)).eval()
    without.load_state_dict({k: v for k, v in with_prior.state_dict().items() if not k.startswith("prior.")})
    return with_prior, without


def test_stage_two_learns_the_residual_around_the_prior(prior_config):
    with_prior, without = _pair(prior_config)
    cond = _cond(prior_config, 8)
    x0 = torch.randn(8, prior_config.window, prior_config.latent_dim)
    residual = x0 - with_prior.prior(cond)
    a = with_prior.diffusion_loss(x0, cond, torch.Generator().manual_seed(0))
    b = without.diffusion_loss(residual, cond, torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("use_diffusion", [True, False])
def test_sampling_adds_the_prior_back(prior_config, use_diffusion):
    with_prior, without = _pair(prior_config.replace(use_diffusion=use_diffusion))
    cond = _cond(prior_config, 6)
    noise = torch.randn(6, prior_config.latent_dim, prior_config.window)
    a = with_prior.sample_latents(cond, generator=torch.Generator(), noise=noise)
    b = without.sample_latents(cond, generator=torch.Generator(), noise=noise)
    torch.testing.assert_close(a, b + with_prior.prior(cond), rtol=0, atol=1e-6)


def test_generation_with_the_prior_is_frame_causal(prior_config):
    model = ReactDiff(prior_config).eval()
    model.prior.weight.normal_(generator=torch.Generator().manual_seed(5))
    streams = random_streams(prior_config, 2, 40)
    for t in (3, 13, 27):
        changed = {k: v.clone() for k, v in streams.items()}
        for v in changed.values():
            v[:, t:] += 3.0
        a = model.generate(streams, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
        b = model.generate(changed, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
        torch.testing.assert_close(a[:, :, :t], b[:, :, :t], rtol=0, atol=0)
        assert not torch.allclose(a[:, :, t:], b[:, :, t:])


def test_fit_on_the_synthetic_set_fits_the_prior_and_checkpoints_it(synthetic_root):
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    sub = ReactDiffSubmission(**{**TINY, "cond_voice_activity": True, "linear_prior": True})
    sub.fit(train, val=val, seed=0)
    assert sub.model.prior.weight.abs().sum() > 0 and float(sub.model.prior.penalty) in PENALTIES
    restored = ReactDiffSubmission(**TINY)
    restored.load_state_dict(sub.state_dict())
    torch.testing.assert_close(restored.model.prior.weight, sub.model.prior.weight, rtol=0, atol=0)


def test_residual_scale_shrinks_each_sample_towards_the_prior(prior_config):
    model = ReactDiff(prior_config).eval()
    model.prior.weight.normal_(generator=torch.Generator().manual_seed(5))
    cond = _cond(prior_config, 6)
    noise = torch.randn(6, prior_config.latent_dim, prior_config.window)
    full = model.sample_latents(cond, generator=torch.Generator(), noise=noise)
    prior = model.prior(cond)
    for scale in (0.0, 0.3):
        model.config = prior_config.replace(residual_scale=scale)
        shrunk = model.sample_latents(cond, generator=torch.Generator(), noise=noise)
        torch.testing.assert_close(shrunk, prior + scale * (full - prior), rtol=0, atol=1e-5)
