"""The sampler choice of GENP (spec §8.2 field ``sampler``, §8.10): one entry point for both solvers.

    sampler 0  DDIM (§8.5), the paper's; eta_q8 0..256
    sampler 1  DPM-Solver++(2M) (§8.10, ``dpm_solver``), same timesteps (§8.3), start, guidance and
               re-imposition (§8.7); eta_q8 = 0

``sample(eps_fn, sched, ...)`` runs the loop the schedule was made for. The sampler id is an
explicit argument here; the generator reads it from GENP (``getattr(params, "sampler", 0)``, the
field exists from bitstream 2.0).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ssgc_format.schedule import alphas_cumprod, ddim_timesteps, sdedit_start_index
from ssgc_ref.generators.dpm_solver import dpmpp_2m_coefficients, dpmpp_2m_sample
from ssgc_ref.generators.sampler import EpsFn, ReimposeFn, Schedule, ddim_sample, make_schedule
from ssgc_ref.generators.sampler_ids import (DEFAULT_STEPS, SAMPLER_DDIM, SAMPLER_DPMPP_2M, SAMPLER_NAMES,
                                             check_sampler, sampler_id)

__all__ = ["SAMPLER_DDIM", "SAMPLER_DPMPP_2M", "SAMPLER_NAMES", "DEFAULT_STEPS", "SamplerSchedule",
           "check_sampler", "make_sampler_schedule", "sample", "sampler_id"]


@dataclass(frozen=True)
class SamplerSchedule:
    """A §8.3 schedule with the coefficients of its sampler."""

    sampler: int
    schedule: Schedule


def make_sampler_schedule(sampler: int, steps: int, strength_permille: int, guidance_q8: int, eta_q8: int, *,
                          T: int = 1000, beta_start=(15, 10000), beta_end=(205, 10000)) -> SamplerSchedule:
    """Timesteps and start index of §8.3 (shared) with the coefficients of ``sampler``."""
    check_sampler(sampler, eta_q8)
    if sampler == SAMPLER_DDIM:
        return SamplerSchedule(sampler, make_schedule(steps, strength_permille, guidance_q8, eta_q8, T=T,
                                                      beta_start=beta_start, beta_end=beta_end))
    tau = ddim_timesteps(steps, T)
    k0 = sdedit_start_index(steps, strength_permille)
    coef = dpmpp_2m_coefficients(alphas_cumprod(T, beta_start, beta_end), tau, k0)
    return SamplerSchedule(sampler, Schedule(tau, k0, guidance_q8, eta_q8, coef))


def sample(eps_fn: EpsFn, sched: SamplerSchedule, *, z_color: torch.Tensor, cond: torch.Tensor,
           seeds: list[int], reimpose: ReimposeFn | None = None, progress: bool = True) -> torch.Tensor:
    """z after step 0 with the schedule's sampler (§8.5 or §8.10)."""
    run = ddim_sample if sched.sampler == SAMPLER_DDIM else dpmpp_2m_sample
    return run(eps_fn, sched.schedule, z_color=z_color, cond=cond, seeds=seeds, reimpose=reimpose,
               progress=progress)
