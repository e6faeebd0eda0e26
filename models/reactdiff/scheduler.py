"""DDIM noise schedule and sampler (Song et al. 2021), separate from the network (as in diffusers).

>>> s = DDIMScheduler(num_train_timesteps=1000); s.set_timesteps(4); s.timesteps.tolist()
[750, 500, 250, 0]
"""

from __future__ import annotations

import math

import torch

from react_bench.errors import BadInputError


class DDIMScheduler:
    """Linear or cosine betas over ``num_train_timesteps``; ``set_timesteps(n)`` picks n evenly spaced steps."""

    def __init__(self, num_train_timesteps: int = 1000, *, beta_schedule: str = "linear",
                 beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        if num_train_timesteps < 1:
            raise BadInputError(f"num_train_timesteps must be >= 1; got {num_train_timesteps}")
        if beta_schedule == "linear":
            betas = torch.linspace(beta_start, beta_end, num_train_timesteps, dtype=torch.float64)
        elif beta_schedule == "cosine":  # Nichol & Dhariwal 2021, Eq. 17
            s = 0.008
            steps = torch.arange(num_train_timesteps + 1, dtype=torch.float64) / num_train_timesteps
            f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
            betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
        else:
            raise BadInputError(f"beta_schedule must be 'linear' or 'cosine'; got {beta_schedule!r}")
        self.num_train_timesteps = num_train_timesteps
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)  # (N,) float64: alpha_bar_t
        self.set_timesteps(num_train_timesteps)

    def set_timesteps(self, num_inference_steps: int) -> None:
        """Sampling timesteps, descending: ``t_i = i * (N // n)`` for i = n-1..0."""
        if not 1 <= num_inference_steps <= self.num_train_timesteps:
            raise BadInputError(
                f"num_inference_steps must be in 1..{self.num_train_timesteps}; got {num_inference_steps}"
            )
        self.num_inference_steps = num_inference_steps
        ratio = self.num_train_timesteps // num_inference_steps
        self.timesteps = torch.arange(num_inference_steps - 1, -1, -1) * ratio  # (n,) long

    def _alpha_bar(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        a = self.alphas_cumprod.to(like.device)[t.to(like.device).long()].to(like.dtype)
        return a.reshape(-1, *([1] * (like.ndim - 1)))

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Forward process q(x_t | x_0) (DDPM Eq. 4): ``sqrt(a_t) x0 + sqrt(1 - a_t) eps``; t is ``(B,)``."""
        a = self._alpha_bar(t, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def step(self, eps: torch.Tensor, t: int, x: torch.Tensor, *, eta: float = 0.0,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One DDIM step x_t -> x_{t-1} (DDIM Eq. 12). Returns ``(prev_sample, pred_x0)``."""
        t = int(t)
        prev_t = t - self.num_train_timesteps // self.num_inference_steps
        a_t = self.alphas_cumprod[t].item()
        a_prev = self.alphas_cumprod[prev_t].item() if prev_t >= 0 else 1.0
        # Eq. 12, first term: the predicted x0.
        pred_x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        # Eq. 16: sigma_t(eta).
        sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
        # Eq. 12, second term: the direction pointing to x_t.
        direction = math.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
        prev = math.sqrt(a_prev) * pred_x0 + direction
        # Eq. 12, third term: random noise (none when eta = 0).
        if sigma > 0:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            prev = prev + sigma * noise
        return prev, pred_x0
