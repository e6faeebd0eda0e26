"""``linear_prior``: the closed-form prior mean of stage 2 and the residual diffusion around it."""

import numpy as np
import pytest
import torch

from react_bench.data import ReactDataset
from react_bench.models.reactdiff import ReactDiff, ReactDiffSubmission
from react_bench.errors import BadInputError
from react_bench.models.reactdiff.model import condition_windows
from react_bench.models.reactdiff.prior import LONG_SILENCE_S, PENALTIES, LinearPrior

from reactdiff_helpers import TINY, random_streams


@pytest.fixture
def prior_config(tiny_config):
    return tiny_config.replace(cond_voice_activity=True, linear_prior=True, prior_look_ahead=False, residual_scale=1.0)


@pytest.fixture
def ahead_config(prior_config):
    return prior_config.replace(prior_look_ahead=True)


def _cond(config, n, seed=0, windows=2):
    """Random condition windows ``(n, windows L, F + 2)`` whose voice activity is a plausible talk / silence pair."""
    g = torch.Generator().manual_seed(seed)
    L, F = config.window, config.latent_dim
    cond = torch.randn(n, windows * L, F + 2, generator=g)
    cond[..., F] = (torch.rand(n, windows * L, generator=g) > 0.5).float()
    cond[..., F + 1] = torch.rand(n, windows * L, generator=g) * 2
    return cond


def _features_loop(prior, cond, ahead=False):
    """Plain-Python reference of the prior's features, frame by frame (with ``ahead``, the leads after the lags)."""
    c = prior.config
    L, F = c.window, c.latent_dim
    offsets = [-lag for lag in prior.lags] + ([lead for lead in prior.leads] if ahead else [])
    out = np.zeros((cond.shape[0], L, prior.num_features(ahead=ahead)))
    for n in range(cond.shape[0]):
        for j in range(L):
            row = [1.0]
            for offset in offsets:
                row += cond[n, L + j + offset].tolist()
            long = float(cond[n, L + j, F + 1] >= LONG_SILENCE_S)
            for offset in offsets:
                row += (long * cond[n, L + j + offset, :F]).tolist()
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
    truth = torch.randn(prior.num_features(ahead=False), prior_config.latent_dim, generator=g, dtype=torch.float64)
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
    without = ReactDiff(prior_config.replace(linear_prior=False, prior_look_ahead=False)).eval()
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


def test_fit_on_the_synthetic_set_fits_both_priors_and_checkpoints_them(synthetic_root):
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    sub = ReactDiffSubmission(**{**TINY, "cond_voice_activity": True, "linear_prior": True, "prior_look_ahead": True})
    sub.fit(train, val=val, seed=0)
    prior = sub.model.prior
    assert prior.weight.abs().sum() > 0 and float(prior.penalty) in PENALTIES
    assert prior.weight_ahead.abs().sum() > 0 and float(prior.penalty_ahead) in PENALTIES
    restored = ReactDiffSubmission(**TINY)
    restored.load_state_dict(sub.state_dict())
    torch.testing.assert_close(restored.model.prior.weight, prior.weight, rtol=0, atol=0)
    torch.testing.assert_close(restored.model.prior.weight_ahead, prior.weight_ahead, rtol=0, atol=0)


def test_look_ahead_features_match_a_frame_by_frame_reference(ahead_config):
    prior = LinearPrior(ahead_config)
    assert prior.leads and max(prior.leads) <= ahead_config.window
    cond = _cond(ahead_config, 3, windows=3)
    np.testing.assert_allclose(prior.features(cond).numpy(), _features_loop(prior, cond, ahead=True), rtol=0, atol=1e-6)
    np.testing.assert_allclose(prior.features(cond[:, :2 * ahead_config.window]).numpy(), _features_loop(prior, cond),
                               rtol=0, atol=1e-6)


def test_the_condition_picks_the_weights_and_each_fit_its_own(ahead_config):
    prior = LinearPrior(ahead_config)
    L, g = ahead_config.window, torch.Generator().manual_seed(3)
    cond, val_cond = _cond(ahead_config, 120, seed=1, windows=3), _cond(ahead_config, 30, seed=2, windows=3)
    x0, val_x0 = torch.randn(120, L, ahead_config.latent_dim, generator=g), torch.randn(30, L, ahead_config.latent_dim, generator=g)
    prior.fit(cond, x0, val_cond, val_x0)  # the next window: the look-ahead weights only
    assert prior.weight.abs().sum() == 0 and prior.weight_ahead.abs().sum() > 0
    prior.fit(cond[:, :2 * L], x0, val_cond[:, :2 * L], val_x0)
    causal = prior(cond[:, :2 * L])
    prior.weight_ahead.normal_(generator=g)  # the online track's condition never reads it
    torch.testing.assert_close(prior(cond[:, :2 * L]), causal, rtol=0, atol=0)
    assert not torch.allclose(prior(cond), causal)


def test_offline_generation_reads_at_most_one_window_ahead_and_online_none(ahead_config):
    model = ReactDiff(ahead_config).eval()
    model.prior.weight.normal_(generator=torch.Generator().manual_seed(5))
    model.prior.weight_ahead.normal_(generator=torch.Generator().manual_seed(6))
    L = ahead_config.window
    streams = random_streams(ahead_config, 2, 4 * L)
    t = 2 * L + 7
    changed = {k: v.clone() for k, v in streams.items()}
    for v in changed.values():
        v[:, t:] += 3.0
    a = model.generate(streams, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
    b = model.generate(changed, num_samples=2, generator=torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(a[:, :, :t - L], b[:, :, :t - L], rtol=0, atol=0)
    assert not torch.allclose(a[:, :, t - L:t], b[:, :, t - L:t])  # the prior read the change ahead
    cond = condition_windows(model.condition(streams), L)  # (B, W, 2L, C): what the online track builds
    causal = ReactDiff(ahead_config.replace(prior_look_ahead=False)).eval()
    causal.load_state_dict({k: v for k, v in model.state_dict().items() if "ahead" not in k})
    noise = torch.randn(2, cond.shape[1], ahead_config.latent_dim, L, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(model.sample_windows(cond, generator=torch.Generator(), noise=noise),
                               causal.sample_windows(cond, generator=torch.Generator(), noise=noise), rtol=0, atol=0)


def test_windows_are_chained_through_the_residual(ahead_config):
    """With a prior, window w continues what the UNet drew for w - 1 (its residual), not the latent:
    a loop that feeds each residual's last frame on, then adds the prior back, scaled."""
    config = ahead_config.replace(residual_scale=0.4)
    model = ReactDiff(config).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        model.unet.inp.weight.normal_()
        model.prior.weight_ahead.normal_(std=0.3)
    M, W, L, F = 2, 3, config.window, config.latent_dim
    cond = torch.stack([_cond(config, M, seed=w, windows=3) for w in range(W)], 1)  # (M, W, 3L, C)
    noise = torch.randn(M, W, F, L, generator=torch.Generator().manual_seed(2))
    latents, residuals = model.sample_windows(cond, generator=torch.Generator(), noise=noise)
    previous = None
    for w in range(W):
        chain = None if previous is None else torch.cat([previous[:, -1], torch.ones(M, 1)], dim=1)
        previous = model.sample_residuals(cond[:, w], generator=torch.Generator(), noise=noise[:, w], chain=chain)
        torch.testing.assert_close(residuals[:, w], previous, rtol=0, atol=0)
        torch.testing.assert_close(latents[:, w], model.prior(cond[:, w]) + 0.4 * previous, rtol=0, atol=1e-6)


def test_training_chains_the_residual_of_the_previous_window(prior_config):
    from react_bench.models.reactdiff.train import _residuals

    model = ReactDiff(prior_config).eval()
    model.prior.weight.normal_(generator=torch.Generator().manual_seed(5))
    cond = _cond(prior_config, 9)
    x0 = torch.randn(9, prior_config.window, prior_config.latent_dim)
    torch.testing.assert_close(_residuals(model, x0, cond, chunk=4), x0 - model.prior(cond), rtol=0, atol=0)


def test_look_ahead_without_the_prior_is_refused(tiny_config):
    with pytest.raises(BadInputError, match="linear_prior=true"):
        ReactDiff(tiny_config.replace(linear_prior=False, prior_look_ahead=True))


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
