"""DDIM sampling with SDEdit start and classifier-free guidance. Implements spec §8.5 (and the
re-imposition hook of §8.7).

Notation (spec §8.5): tau_i timesteps, k0 start index, a = abar[tau_i], a' = abar[tau_{i-1}]
(abar[0] for i = 0), g guidance scale, eps_theta the UNet on [z, c].

    z   = sqrt(a_k0) z_c + sqrt(1 - a_k0) eps0                      (SDEdit start)
    for i = k0 .. 0:
        e  = eps_theta(z, tau_i, c)                     if g == 1
           = e_u + g (e_c - e_u)                        otherwise (c_null = 0)
        x0 = (z - sqrt(1 - a) e) / sqrt(a)
        z  = sqrt(a') x0 + sqrt(1 - a' - sigma^2) e + sigma n_i
        z  = reimpose(i, z)                             (ROI-aware, optional)

All items of a batch share the schedule (steps, strength, guidance, eta); each has its own seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from ssgc_format.noise import gaussian_noise
from ssgc_format.schedule import alphas_cumprod, ddim_coefficients, ddim_timesteps, sdedit_start_index

__all__ = ["Schedule", "make_schedule", "batch_noise", "coef_tensor", "ddim_sample", "STREAM_START",
           "STREAM_ETA", "STREAM_ROI"]

STREAM_START = 0  # eps0
STREAM_ETA = 1  # + i: DDIM noise of step i
STREAM_ROI = 1001  # + i: ROI re-imposition noise of step i


@dataclass(frozen=True)
class Schedule:
    """Everything of §8.3/§8.5 that does not depend on the data: timesteps and coefficients."""

    timesteps: list[int]
    k0: int
    guidance_q8: int
    eta_q8: int
    coef: dict[str, np.ndarray]  # binary64, indexed by step index i

    @property
    def steps_run(self) -> int:
        return self.k0 + 1


def make_schedule(steps: int, strength_permille: int, guidance_q8: int, eta_q8: int, *, T: int = 1000,
                  beta_start=(15, 10000), beta_end=(205, 10000)) -> Schedule:
    """The DDIM schedule of §8.3/§8.5; coefficients only for the steps that run (i <= k0)."""
    tau = ddim_timesteps(steps, T)
    abar = alphas_cumprod(T, beta_start, beta_end)
    k0 = sdedit_start_index(steps, strength_permille)
    return Schedule(tau, k0, guidance_q8, eta_q8, ddim_coefficients(abar, tau[: k0 + 1], eta_q8))


def batch_noise(seeds: list[int], shape: tuple[int, ...], stream: int, device, dtype) -> torch.Tensor:
    """Annex C noise for each seed, stacked into (B, *shape), on device/dtype."""
    arr = np.stack([gaussian_noise(s, shape, stream) for s in seeds])
    return torch.from_numpy(arr).to(device=device, dtype=dtype)


def coef_tensor(x: float, ref: torch.Tensor) -> torch.Tensor:
    """A binary64 coefficient rounded once to the working dtype, as a 0-d tensor."""
    return torch.tensor(float(x), dtype=torch.float64).to(dtype=ref.dtype, device=ref.device)


_c = coef_tensor


EpsFn = Callable[[torch.Tensor, int, torch.Tensor], torch.Tensor]
ReimposeFn = Callable[[int, torch.Tensor, float, float], torch.Tensor]


@torch.no_grad()
def sdedit_start(sched: Schedule, z_color: torch.Tensor, cond: torch.Tensor, seeds: list[int],
                 reimpose: ReimposeFn | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The start shared by every sampler (§8.5, §8.7): z noised to the level of tau_k0 from the
    color latent (SDEdit), the ROI re-imposed at that level, and the guidance scale g with the
    condition batch [c_null = 0, c] when guided (None otherwise)."""
    c, k0 = sched.coef, sched.k0
    eps0 = batch_noise(seeds, tuple(z_color.shape[1:]), STREAM_START, z_color.device, z_color.dtype)
    z = _c(c["sqrt_a"][k0], z_color) * z_color + _c(c["sqrt_1ma"][k0], z_color) * eps0
    if reimpose is not None:
        z = reimpose(-1, z, float(c["sqrt_a"][k0]), float(c["sqrt_1ma"][k0]))
    g = _c(sched.guidance_q8 / 256.0, z)
    cond_in = torch.cat([torch.zeros_like(cond), cond]) if sched.guidance_q8 != 256 else None
    return z, g, cond_in


def guided_eps(eps_fn: EpsFn, z: torch.Tensor, t: int, cond: torch.Tensor, cond_in: torch.Tensor | None,
               g: torch.Tensor) -> torch.Tensor:
    """The noise prediction e of §8.5 at (z, t): eps_theta(z, t, c) unguided (``cond_in`` None, one
    evaluation), else e_u + g (e_c - e_u) from one batch [c_null, c] (two evaluations)."""
    if cond_in is None:
        return eps_fn(z, t, cond)
    e_u, e_c = eps_fn(torch.cat([z, z]), t, cond_in).chunk(2)
    return e_u + g * (e_c - e_u)


def ddim_sample(eps_fn: EpsFn, sched: Schedule, *, z_color: torch.Tensor, cond: torch.Tensor,
                seeds: list[int], reimpose: ReimposeFn | None = None, progress: bool = True) -> torch.Tensor:
    """Run §8.5 and return z after step 0, shape of ``z_color``.

    ``eps_fn(x, t, c)`` is the UNet applied to the concatenation [x, c] at integer timestep t.
    ``reimpose(i, z, sqrt_a, sqrt_1ma)`` (§8.7) returns z after re-imposing the ROI at the noise
    level (sqrt_a, sqrt_1ma); it is called once with i = -1 at the start (level of tau_k0, noise
    eps0 owned by the caller) and after each step i.
    """
    c = sched.coef
    k0 = sched.k0
    shape = tuple(z_color.shape[1:])
    dev, dt = z_color.device, z_color.dtype
    z, g, cond_in = sdedit_start(sched, z_color, cond, seeds, reimpose)
    for i in tqdm(range(k0, -1, -1), desc="DDIM", unit="step", disable=not progress, leave=False):
        e = guided_eps(eps_fn, z, sched.timesteps[i], cond, cond_in, g)
        x0 = (z - _c(c["sqrt_1ma"][i], z) * e) / _c(c["sqrt_a"][i], z)
        z = _c(c["c_x0"][i], z) * x0 + _c(c["c_eps"][i], z) * e
        if c["sigma"][i] > 0:
            z = z + _c(c["sigma"][i], z) * batch_noise(seeds, shape, STREAM_ETA + i, dev, dt)
        if reimpose is not None:
            z = reimpose(i, z, float(c["c_x0"][i]), float(c["sqrt_1ma_prev"][i]))
    return z


def unet_eps_fn(unet) -> EpsFn:
    """eps_theta for a diffusers UNet2DModel with concat conditioning (latent first)."""

    def eps(x: torch.Tensor, t: int, cond: torch.Tensor) -> torch.Tensor:
        ts = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        return unet(torch.cat([x, cond], dim=1), ts).sample

    return eps
