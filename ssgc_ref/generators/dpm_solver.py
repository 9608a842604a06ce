"""DPM-Solver++(2M): multistep second-order solver of the diffusion probability-flow ODE with data
prediction. Implements spec §8.10 (GENP sampler 1).

Reference: C. Lu, Y. Zhou, F. Bao, J. Chen, C. Li, J. Zhu, "DPM-Solver++: Fast Solver for Guided
Sampling of Diffusion Probabilistic Models", arXiv:2211.01095 (2022), Algorithm 2 (multistep,
"2M"), with the exponential integrator of eq. (9) (first order, = DDIM with eta 0).

Why our own module and not diffusers' ``DPMSolverMultistepScheduler`` (read for facts, 0.42):
its schedule is float32 (betas and abar are float32 tensors) and its step coefficients are
float32 tensor operations, where §8.5/§8.10 compute every coefficient in binary64 and round it once;
its "leading" spacing is ``i * (T // n)`` (not §8.3's ``floor(i T / n)`` when n does not divide T);
and its default last step is first order below 15 steps. With custom timesteps, ``trained_betas``,
``final_sigmas_type="sigma_min"`` and ``lower_order_final=False`` it runs the same algorithm: the
tests check that it agrees with this module to float32 rounding.

Notation (spec §8.10; s = current level, t = next level, step i goes from tau_i to tau_{i-1}):

    variable    symbol                    meaning
    a, a_prev   abar_s, abar_t            cumulative alpha at tau_i and tau_{i-1} (abar_0 for i = 0)
    lam         lambda = log(alpha/sigma) half log-SNR, alpha = sqrt(abar), sigma = sqrt(1 - abar)
    h           h_i = lambda_t - lambda_s step length in lambda
    c_z         sigma_t / sigma_s         multiplies z
    c_d         alpha_t (1 - e^{-h_i})    multiplies the (corrected) data prediction D
    w           h_i / (2 h_{i+1})         second-order weight, 1 / (2 r_i) with r_i = h_{i+1} / h_i
    x0, x0_prev x_theta(z_s), previous    data predictions of this step and of the previous one

    first step (i = k0):  D = x0                                       (eq. 9, first order)
    later steps:          D = x0 + w (x0 - x0_prev)                    (Algorithm 2)
    z_t = c_z z_s + c_d D
"""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from ssgc_ref.generators.sampler import EpsFn, ReimposeFn, Schedule, coef_tensor, guided_eps, sdedit_start

__all__ = ["dpmpp_2m_coefficients", "dpmpp_2m_sample"]


def _lam(a: float) -> float:
    """lambda = log(sqrt(a)) - log(sqrt(1 - a)), binary64, in this order (spec §8.10)."""
    return math.log(math.sqrt(a)) - math.log(math.sqrt(1.0 - a))


def dpmpp_2m_coefficients(abar: np.ndarray, timesteps: list[int], k0: int) -> dict[str, np.ndarray]:
    """Per-step coefficients of §8.10 in binary64, indexed by step index i = 0..k0.

    Only the steps that run (i <= k0) are computed, so k0 < n of any valid schedule is enough.
    ``w[k0]`` is 0: the first step has no previous prediction and is first order.
    """
    n = k0 + 1
    a = np.empty(n)
    a_prev = np.empty(n)
    h = np.empty(n)
    c_z = np.empty(n)
    c_d = np.empty(n)
    w = np.zeros(n)
    for i in range(n):
        # 1. noise levels of the step: from tau_i to tau_{i-1} (the last step lands on abar_0, §8.5)
        a[i] = abar[timesteps[i]]
        a_prev[i] = abar[timesteps[i - 1]] if i > 0 else abar[0]
        # 2. step length in half log-SNR
        h[i] = _lam(a_prev[i]) - _lam(a[i])
        # 3. exponential-integrator coefficients (eq. 9): z_t = c_z z_s + c_d D
        c_z[i] = math.sqrt(1.0 - a_prev[i]) / math.sqrt(1.0 - a[i])
        c_d[i] = math.sqrt(a_prev[i]) * (1.0 - math.exp(-h[i]))
    for i in range(k0):
        # 4. second-order weight 1/(2 r_i), r_i = h_{i+1} / h_i (the previous step is i + 1)
        w[i] = h[i] / (2.0 * h[i + 1])
    return {
        "a": a,
        "a_prev": a_prev,
        "sqrt_a": np.sqrt(a),
        "sqrt_1ma": np.sqrt(1.0 - a),
        "sqrt_a_prev": np.sqrt(a_prev),
        "sqrt_1ma_prev": np.sqrt(1.0 - a_prev),
        "h": h,
        "c_z": c_z,
        "c_d": c_d,
        "w": w,
    }


@torch.no_grad()
def dpmpp_2m_sample(eps_fn: EpsFn, sched: Schedule, *, z_color: torch.Tensor, cond: torch.Tensor,
                    seeds: list[int], reimpose: ReimposeFn | None = None, progress: bool = True) -> torch.Tensor:
    """Run §8.10 and return z after step 0, shape of ``z_color``.

    Same contract as ``ddim_sample``: ``sched.coef`` holds ``dpmpp_2m_coefficients``; the start
    (SDEdit), the guidance and the re-imposition hook are those of §8.5 and §8.7.
    """
    c = sched.coef
    k0 = sched.k0
    # 1. SDEdit start at the level of tau_k0 (§8.5), then the ROI at that level (§8.7), as DDIM
    z, g, cond_in = sdedit_start(sched, z_color, cond, seeds, reimpose)
    x0_prev: torch.Tensor | None = None
    for i in tqdm(range(k0, -1, -1), desc="DPM-Solver++(2M)", unit="step", disable=not progress, leave=False):
        # 2. guided noise prediction (§8.5)
        e = guided_eps(eps_fn, z, sched.timesteps[i], cond, cond_in, g)
        # 3. data prediction x_theta = (z - sigma_s e) / alpha_s
        x0 = (z - coef_tensor(c["sqrt_1ma"][i], z) * e) / coef_tensor(c["sqrt_a"][i], z)
        # 4. first order at the start, second-order multistep correction afterwards
        d = x0 if x0_prev is None else x0 + coef_tensor(c["w"][i], z) * (x0 - x0_prev)
        # 5. z_t = (sigma_t / sigma_s) z_s + alpha_t (1 - e^{-h}) D
        z = coef_tensor(c["c_z"][i], z) * z + coef_tensor(c["c_d"][i], z) * d
        # 6. ROI re-imposition at the level of tau_{i-1}; the stored x0 is the model's, unblended
        if reimpose is not None:
            z = reimpose(i, z, float(c["sqrt_a_prev"][i]), float(c["sqrt_1ma_prev"][i]))
        x0_prev = x0
    return z
