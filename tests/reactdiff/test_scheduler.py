import pytest
import torch
from hypothesis import given, settings, strategies as st

from react_bench.models.reactdiff import DDIMScheduler


@settings(max_examples=25, deadline=None)
@given(t_index=st.integers(0, 19), schedule=st.sampled_from(["linear", "cosine"]), seed=st.integers(0, 1000))
def test_step_with_true_noise_recovers_x0(t_index, schedule, seed):
    s = DDIMScheduler(1000, beta_schedule=schedule)
    s.set_timesteps(20)
    g = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(3, 4, 10, generator=g, dtype=torch.float64), torch.randn(3, 4, 10, generator=g, dtype=torch.float64)
    t = int(s.timesteps[t_index])
    x_t = s.add_noise(x0, eps, torch.full((3,), t))
    prev, pred_x0 = s.step(eps, t, x_t)
    torch.testing.assert_close(pred_x0, x0)
    # with eta = 0 and the true eps, x_{t-1} is exactly the forward process at t-1 with the same eps
    prev_t = t - 1000 // 20
    expected = x0 if prev_t < 0 else s.add_noise(x0, eps, torch.full((3,), prev_t))
    torch.testing.assert_close(prev, expected)


def test_timesteps_descend_evenly():
    s = DDIMScheduler(1000)
    s.set_timesteps(20)
    assert s.timesteps.tolist() == list(range(950, -1, -50))


def test_eta_zero_is_deterministic_and_eta_positive_uses_generator():
    s = DDIMScheduler(100)
    s.set_timesteps(5)
    x, eps = torch.randn(2, 3, 8), torch.randn(2, 3, 8)
    a = s.step(eps, 60, x, generator=torch.Generator().manual_seed(0))[0]
    b = s.step(eps, 60, x, generator=torch.Generator().manual_seed(1))[0]
    assert torch.equal(a, b)
    c = s.step(eps, 60, x, eta=1.0, generator=torch.Generator().manual_seed(0))[0]
    d = s.step(eps, 60, x, eta=1.0, generator=torch.Generator().manual_seed(1))[0]
    assert not torch.equal(c, d)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="beta_schedule must be 'linear' or 'cosine'"):
        DDIMScheduler(10, beta_schedule="quadratic")
    with pytest.raises(ValueError, match="num_inference_steps must be in 1..10"):
        DDIMScheduler(10).set_timesteps(11)
