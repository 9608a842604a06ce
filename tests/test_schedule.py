"""DDIM schedule (spec §8.3, §8.5)."""

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import InputError
from ssgc_format.schedule import alphas_cumprod, ddim_coefficients, ddim_timesteps, sdedit_start_index


def test_paper_schedule():
    tau = ddim_timesteps(200)
    assert tau[:3] == [1, 6, 11] and tau[-1] == 996 and len(tau) == 200
    assert tau == [t + 1 for t in range(0, 1000, 5)]  # CompVis make_ddim_timesteps("uniform")
    k0 = sdedit_start_index(200, 700)
    assert k0 == 140 and tau[k0] == 701


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 1000), s=st.integers(0, 1000))
def test_timesteps_and_start_properties(n, s):
    tau = ddim_timesteps(n)
    assert len(tau) == n and all(a < b for a, b in zip(tau, tau[1:])) and 0 <= tau[0] and tau[-1] <= 999
    if n < 1000:  # the formula of 1.0 where it did not overrun: unchanged
        assert tau == [i * 1000 // n + 1 for i in range(n)]
    if 1000 % n == 0 and n < 1000:
        assert tau == [t + 1 for t in range(0, 1000, 1000 // n)]
    k0 = sdedit_start_index(n, s)
    assert 0 <= k0 <= n - 1 and k0 == min(n - 1, n * s // 1000)


@pytest.mark.parametrize("n", range(1, 1001))
def test_every_step_count_indexes_the_schedule(n):
    """§8.3: every n in 1..1000 gives n distinct indices inside abar (n = T used to reach T)."""
    a = alphas_cumprod()
    tau = ddim_timesteps(n)
    c = ddim_coefficients(a, tau, eta_q8=256)
    assert len(tau) == n == len(set(tau)) and max(tau) < len(a)
    assert np.all(np.isfinite(c["c_eps"])) and np.all(np.isfinite(c["sigma"]))


def test_steps_equal_to_T():
    tau = ddim_timesteps(1000)
    assert tau == list(range(1000))
    assert ddim_timesteps(999)[-1] == 998 * 1000 // 999 + 1 == 999
    k0 = sdedit_start_index(1000, 700)
    assert k0 == 700 and tau[k0] == 700


@pytest.mark.parametrize("n,s", [(0, 700), (1001, 700), (200, -1), (200, 1001)])
def test_bad_arguments(n, s):
    with pytest.raises(InputError):
        sdedit_start_index(n, s)


def test_alphas_cumprod_matches_ldm_linear_schedule():
    a = alphas_cumprod()
    # the LDM definition: betas = linspace(sqrt(0.0015), sqrt(0.0205), 1000) ** 2 (float64)
    betas = np.linspace(0.0015**0.5, 0.0205**0.5, 1000, dtype=np.float64) ** 2
    np.testing.assert_allclose(a, np.cumprod(1 - betas), rtol=1e-12)
    assert a[0] == 1 - 0.0015
    assert hashlib.sha256(a.astype("<f8").tobytes()).hexdigest() == \
        "071bf45b0adcf41ce06ad674fac1958b933ed8ef6437dcd01ac4516a33fe514f"


def test_ddim_coefficients():
    a = alphas_cumprod()
    tau = ddim_timesteps(200)
    c = ddim_coefficients(a, tau, eta_q8=0)
    assert c["a_prev"][0] == a[0] and c["a_prev"][140] == a[696] and c["a"][140] == a[701]
    assert np.all(c["sigma"] == 0)
    np.testing.assert_allclose(c["c_eps"], np.sqrt(1 - c["a_prev"]))
    c1 = ddim_coefficients(a, tau, eta_q8=256)
    assert np.all(c1["sigma"][1:] > 0)
    np.testing.assert_allclose(c1["c_eps"] ** 2 + c1["sigma"] ** 2, 1 - c1["a_prev"], rtol=1e-9, atol=1e-15)
