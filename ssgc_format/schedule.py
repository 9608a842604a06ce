"""Diffusion schedule: DDIM timesteps, SDEdit start index, noise levels and DDIM coefficients.

Implements spec §8.3 (timesteps and start index: integers, bit-exact) and §8.5 (noise levels and
step coefficients: binary64 operations in the stated order, then one rounding to float32 where
the sampler uses them).

Notation (spec §8.3): T training timesteps (1000), n DDIM steps (1..T),
tau_i = floor(i*T/n) + 1 - floor(n/T) for i = 0..n-1 (ascending; for n = 200: 1, 6, ..., 996; for
n = T the offset is dropped, tau_i = i, so the last index stays below T). Sampling visits
i = k0, k0-1, ..., 0 where k0 = sdedit_start_index(n, strength_permille).
"""

from __future__ import annotations

import math

import numpy as np

from ssgc_format.errors import InputError

__all__ = [
    "T_DEFAULT",
    "MAX_STEPS",
    "ddim_timesteps",
    "sdedit_start_index",
    "alphas_cumprod",
    "ddim_coefficients",
]

T_DEFAULT = 1000
MAX_STEPS = 1000


def _check_steps(steps: int, T: int) -> None:
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise InputError(f"DDIM step count must be an integer, got {type(steps).__name__}")
    if not 1 <= steps <= min(T, MAX_STEPS):
        raise InputError(f"DDIM step count {steps} outside 1..{min(T, MAX_STEPS)}")


def ddim_timesteps(steps: int, T: int = T_DEFAULT) -> list[int]:
    """tau_i = floor(i*T/steps) + 1 - floor(steps/T) for i = 0..steps-1, ascending (spec §8.3).

    Every tau_i lies in 0..T-1 (abar has T entries). For steps < T the offset is 1 and this is the
    CompVis LDM "uniform" DDIM discretisation (range(0, T, T//steps) + 1) whenever steps divides
    T; at steps = T the "+1" would reach T, so the offset drops to 0 and tau_i = i. Sampling
    visits them in DESCENDING order, from tau_k0 down to tau_0.
    """
    _check_steps(steps, T)
    offset = 1 - steps // T  # 1 for steps < T, 0 for steps = T
    return [(i * T) // steps + offset for i in range(steps)]


def sdedit_start_index(steps: int, strength_permille: int) -> int:
    """k0 = min(steps - 1, floor(steps * strength_permille / 1000)) (spec §8.3).

    The start latent is noised to level tau_k0 and k0 + 1 denoising steps run (i = k0 .. 0).
    200 steps at strength 700 give k0 = 140, tau_k0 = 701 (70% of T), 141 steps.
    """
    _check_steps(steps, T_DEFAULT)
    if not isinstance(strength_permille, (int, np.integer)) or not 0 <= strength_permille <= 1000:
        raise InputError(f"SDEdit strength {strength_permille} outside 0..1000 (per mille)")
    return min(steps - 1, (steps * int(strength_permille)) // 1000)


def alphas_cumprod(T: int = T_DEFAULT, beta_start: tuple[int, int] = (15, 10000),
                   beta_end: tuple[int, int] = (205, 10000)) -> np.ndarray:
    """abar_t for t = 0..T-1 in binary64, by the operations of spec §8.5 in this order.

    beta_start/beta_end are rationals (numerator, denominator): b = num / den (one division),
    s0 = sqrt(b_start), s1 = sqrt(b_end), d = (s1 - s0) / (T - 1), x_t = s0 + t*d, beta_t = x_t*x_t,
    abar_t = abar_{t-1} * (1 - beta_t) with abar_{-1} = 1, sequentially. This is LDM's "linear"
    schedule (linspace of square roots, squared): beta runs from 0.0015 to 0.0205.
    """
    b0 = float(beta_start[0]) / float(beta_start[1])
    b1 = float(beta_end[0]) / float(beta_end[1])
    s0, s1 = math.sqrt(b0), math.sqrt(b1)  # IEEE sqrt: correctly rounded
    d = (s1 - s0) / float(T - 1)
    out = np.empty(T, dtype=np.float64)
    acc = 1.0
    for t in range(T):
        x = s0 + float(t) * d
        beta = x * x
        acc = acc * (1.0 - beta)
        out[t] = acc
    return out


def ddim_coefficients(abar: np.ndarray, timesteps: list[int], eta_q8: int = 0) -> dict[str, np.ndarray]:
    """Per-step DDIM coefficients in binary64 (spec §8.5), indexed by step index i.

    a_i = abar[tau_i]; a_prev_i = abar[tau_{i-1}] for i > 0 and abar[0] for i = 0 (as CompVis
    LDM's DDIM sampler does). eta = eta_q8 / 256.
        sigma_i   = eta * sqrt((1 - a_prev) / (1 - a)) * sqrt(1 - a / a_prev)
        c_x0_i    = sqrt(a_prev)                       (multiplies the predicted x0)
        c_eps_i   = sqrt(1 - a_prev - sigma^2)         (multiplies eps)
        sqrt_a_i  = sqrt(a),  sqrt_1ma_i = sqrt(1 - a) (x0 = (z - sqrt_1ma*eps) / sqrt_a)
    """
    tau = np.asarray(timesteps, dtype=np.int64)
    a = abar[tau]
    a_prev = np.concatenate([abar[:1], abar[tau[:-1]]])
    eta = float(eta_q8) / 256.0
    sigma = eta * (np.sqrt((1.0 - a_prev) / (1.0 - a)) * np.sqrt(1.0 - a / a_prev))
    return {
        "a": a,
        "a_prev": a_prev,
        "sqrt_a": np.sqrt(a),
        "sqrt_1ma": np.sqrt(1.0 - a),
        "c_x0": np.sqrt(a_prev),
        "c_eps": np.sqrt(np.maximum(1.0 - a_prev - sigma * sigma, 0.0)),
        "sigma": sigma,
        "sqrt_1ma_prev": np.sqrt(1.0 - a_prev),
    }
