"""DPM-Solver++(2M), GENP sampler 1 (spec §8.10): coefficients, timesteps, convergence, tiny model."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from ssgc_format.errors import FormatError, SSGCError, UnsupportedError
from ssgc_format.genparams import FLAG_ROI_AWARE, GenerationParams
from ssgc_format.noise import gaussian_noise
from ssgc_format.profiles import PROFILE_TINY
from ssgc_format.schedule import alphas_cumprod, ddim_coefficients
from ssgc_ref.generators import get_generator
from ssgc_ref.generators.dpm_solver import dpmpp_2m_coefficients
from ssgc_ref.generators.roi_aware import latent_mask, make_reimpose
from ssgc_ref.generators.sampler import Schedule, unet_eps_fn
from ssgc_ref.generators.sampling import (DEFAULT_STEPS, SAMPLER_DDIM, SAMPLER_DPMPP_2M, SamplerSchedule,
                                          check_sampler, make_sampler_schedule, sample, sampler_id)
from ssgc_ref.generators.tolerance import PEAK_MAX, RMSE_MAX, within_tolerance

torch.set_num_threads(1)
ABAR = alphas_cumprod()


GP = GenerationParams


# --- coefficients and timesteps ---------------------------------------------------------------
def test_coefficients_from_the_equations():
    sch = make_sampler_schedule(SAMPLER_DPMPP_2M, 10, 700, 512, 0)
    s = sch.schedule
    assert s.timesteps == [1 + 100 * i for i in range(10)] and s.k0 == 7
    c = s.coef
    assert len(c["c_z"]) == 8

    def lam(a):  # half log-SNR, written another way: 0.5 log(a / (1 - a))
        return 0.5 * math.log(a / (1 - a))

    for i in range(8):
        a, ap = ABAR[s.timesteps[i]], ABAR[s.timesteps[i - 1]] if i else ABAR[0]
        h = lam(ap) - lam(a)
        assert c["h"][i] == pytest.approx(h, rel=1e-13)
        assert c["c_z"][i] == pytest.approx(math.sqrt((1 - ap) / (1 - a)), rel=1e-14)
        assert c["c_d"][i] == pytest.approx(math.sqrt(ap) * -math.expm1(-h), rel=1e-12)
        # first-order step = DDIM: c_z z + c_d x0 with z = sqrt(a) x0 + sqrt(1-a) e gives sqrt(a') x0 + ...
        assert c["c_d"][i] + c["c_z"][i] * math.sqrt(a) == pytest.approx(math.sqrt(ap), abs=1e-15)
        if i < 7:
            h_prev = lam(ABAR[s.timesteps[i]]) - lam(ABAR[s.timesteps[i + 1]])
            assert c["w"][i] == pytest.approx(h / (2 * h_prev), rel=1e-12)
    assert c["w"][7] == 0.0  # the first step (i = k0) is first order
    assert np.all(np.diff(c["h"][::-1]) != 0) and np.all(c["h"] > 0)


def test_every_step_count_and_strength_has_finite_coefficients():
    for n in (1, 2, 3, 7, 10, 15, 30, 40, 200, 999):
        for s in (0, 1, 500, 700, 1000):
            c = make_sampler_schedule(SAMPLER_DPMPP_2M, n, s, 512, 0).schedule.coef
            for v in c.values():
                assert np.all(np.isfinite(v)), (n, s)
            assert np.all(np.abs(c["w"]) < 10), (n, s)


def test_sampler_ids_and_eta():
    assert sampler_id("ddim") == SAMPLER_DDIM and sampler_id("dpmpp-2m") == SAMPLER_DPMPP_2M
    with pytest.raises(UnsupportedError):
        sampler_id("euler")
    check_sampler(0, 64)
    check_sampler(1, 0)
    with pytest.raises(FormatError, match="eta"):
        check_sampler(1, 1)
    with pytest.raises(UnsupportedError):
        check_sampler(2, 0)
    with pytest.raises(FormatError):
        make_sampler_schedule(SAMPLER_DPMPP_2M, 10, 700, 512, 256)
    assert DEFAULT_STEPS == {SAMPLER_DDIM: 200, SAMPLER_DPMPP_2M: 40}


class _Spy:
    def __init__(self, fn):
        self.fn, self.t = fn, []

    def __call__(self, x, t, c):
        self.t.append(t)
        return self.fn(x, t, c)


def _nonlinear_eps(x, t, c):
    return torch.tanh(x * (1 + t / 500.0)) * 0.7 + 0.1 * math.sin(t / 50) + 0.2 * c


def _latents(seed=0, shape=(1, 3, 6, 5)):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g, dtype=torch.float64)


def test_visits_the_ddim_timesteps_and_one_step_is_ddim():
    z_c, cond = _latents()
    for n, s in ((20, 700), (7, 1000), (10, 0)):
        spies = []
        for sid in (SAMPLER_DDIM, SAMPLER_DPMPP_2M):
            spy = _Spy(_nonlinear_eps)
            sample(spy, make_sampler_schedule(sid, n, s, 512, 0), z_color=z_c, cond=cond, seeds=[3], progress=False)
            spies.append(spy.t)
        assert spies[0] == spies[1]  # same tau_k0 .. tau_0 (§8.3)
    # k0 = 0 (one step) and k0 = 1's first step: first order, = DDIM to rounding
    sd = make_sampler_schedule(SAMPLER_DDIM, 10, 0, 256, 0)
    sp = make_sampler_schedule(SAMPLER_DPMPP_2M, 10, 0, 256, 0)
    a = sample(_nonlinear_eps, sd, z_color=z_c, cond=cond, seeds=[3], progress=False)
    b = sample(_nonlinear_eps, sp, z_color=z_c, cond=cond, seeds=[3], progress=False)
    assert torch.allclose(a, b, rtol=0, atol=1e-12)
    # k0 = 2, written out: step 2 first order (= DDIM), steps 1 and 0 with the multistep correction
    sp = make_sampler_schedule(SAMPLER_DPMPP_2M, 10, 200, 256, 0)
    got = sample(_nonlinear_eps, sp, z_color=z_c, cond=cond, seeds=[3], progress=False)
    c, tau = sp.schedule.coef, sp.schedule.timesteps
    eps0 = torch.from_numpy(gaussian_noise(3, tuple(z_c.shape[1:]), 0))[None].double()
    a = ABAR[tau[2]]
    z = math.sqrt(a) * z_c + math.sqrt(1 - a) * eps0
    x0_prev = None
    for i in (2, 1, 0):
        a = ABAR[tau[i]]
        ap = ABAR[tau[i - 1]] if i else ABAR[0]
        e = _nonlinear_eps(z, tau[i], cond)
        x0 = (z - math.sqrt(1 - a) * e) / math.sqrt(a)
        if x0_prev is None:
            z = math.sqrt(ap) * x0 + math.sqrt(1 - ap) * e  # DDIM
        else:
            d = x0 + c["w"][i] * (x0 - x0_prev)
            z = math.sqrt((1 - ap) / (1 - a)) * z + math.sqrt(ap) * -math.expm1(-c["h"][i]) * d
        x0_prev = x0
    assert torch.allclose(got, z, rtol=0, atol=1e-12)
    ddim = sample(_nonlinear_eps, make_sampler_schedule(SAMPLER_DDIM, 10, 200, 256, 0), z_color=z_c, cond=cond,
                  seeds=[3], progress=False)
    assert (ddim - got).abs().max() > 1e-3


def test_agrees_with_diffusers_dpmsolver_multistep():
    """diffusers' DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint) on the same timesteps,
    abar_0 as the final level and no lower-order final step: the same algorithm, float32 schedule."""
    from diffusers import DPMSolverMultistepScheduler

    betas = 1 - ABAR / np.concatenate([[1.0], ABAR[:-1]])
    z_c, cond = _latents(1)
    for n in (10, 20, 50):
        sch = make_sampler_schedule(SAMPLER_DPMPP_2M, n, 700, 256, 0)
        ours = sample(_nonlinear_eps, sch, z_color=z_c, cond=cond, seeds=[9], progress=False)
        sc = DPMSolverMultistepScheduler(num_train_timesteps=1000, trained_betas=betas, algorithm_type="dpmsolver++",
                                         solver_order=2, solver_type="midpoint", lower_order_final=False,
                                         final_sigmas_type="sigma_min", prediction_type="epsilon")
        k0 = sch.schedule.k0
        sc.set_timesteps(timesteps=sch.schedule.timesteps[k0::-1])
        a = ABAR[sch.schedule.timesteps[k0]]
        eps0 = torch.from_numpy(gaussian_noise(9, tuple(z_c.shape[1:]), 0))[None].double()
        z = math.sqrt(a) * z_c + math.sqrt(1 - a) * eps0
        for t in sc.timesteps:
            z = sc.step(_nonlinear_eps(z, int(t), cond), t, z).prev_sample
        assert (z.double() - ours).abs().max() < 1e-4 * ours.abs().max(), n


# --- convergence on an ODE with a known solution ----------------------------------------------
MU, S2 = 0.3, 0.25  # data ~ N(MU (1 + c), S2): the exact eps and the exact ODE flow are closed-form


def _gauss_eps(x, t, c):
    a = float(ABAR[t])
    return math.sqrt(1 - a) / (a * S2 + 1 - a) * (x - math.sqrt(a) * MU * (1 + c))


def _gauss_exact(z_c, cond, seed, t0):
    a0, a1 = ABAR[t0], ABAR[0]
    eps0 = torch.from_numpy(gaussian_noise(seed, tuple(z_c.shape[1:]), 0))[None].double()
    z = math.sqrt(a0) * z_c + math.sqrt(1 - a0) * eps0
    m = MU * (1 + cond)
    return math.sqrt(a1) * m + math.sqrt(a1 * S2 + 1 - a1) / math.sqrt(a0 * S2 + 1 - a0) * (z - math.sqrt(a0) * m)


def test_second_order_convergence_on_gaussian_data():
    z_c, cond = _latents(2)
    exact = _gauss_exact(z_c, cond, 4, 701)
    err = {}
    for sid in (SAMPLER_DDIM, SAMPLER_DPMPP_2M):
        for n in (80, 160):
            z = sample(_gauss_eps, make_sampler_schedule(sid, n, 700, 256, 0), z_color=z_c, cond=cond, seeds=[4],
                       progress=False)
            err[sid, n] = float((z - exact).abs().max())
    assert 1.8 < err[0, 80] / err[0, 160] < 2.2  # DDIM: first order
    assert err[1, 80] / err[1, 160] > 2.5  # DPM-Solver++(2M): towards second order
    assert err[1, 160] < err[0, 160] / 2


# --- the tiny model (profile 2) ---------------------------------------------------------------
@pytest.fixture(scope="module")
def gen():
    g = get_generator("ldm", device="cpu")
    g.bundle(PROFILE_TINY)
    return g


def _inputs(seed=0, h=64, w=64):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.repeat(rng.integers(0, 182, (4, 4)).astype(np.uint8), 16, 0), 16, 1)[:h, :w]
    colors = np.repeat(np.repeat(rng.integers(0, 256, (4, 4, 3)).astype(np.uint8), 16, 0), 16, 1)[:h, :w]
    return labels, colors


def _smooth_t_unet(unet):
    """A copy of the UNet whose time MLP ignores the sinusoid of 1 rad/timestep (keeps 0.01)."""
    import copy

    u = copy.deepcopy(unet)
    w = u.time_embedding.linear_1.weight
    half = w.shape[1] // 2
    with torch.no_grad():
        w[:, 0] = 0
        w[:, half] = 0
    return u


def _pixels(bundle, unet, labels, colors, sched: SamplerSchedule, seed=5):
    cond = bundle.cond(torch.from_numpy(labels.astype(np.int64))[None])
    z_c = bundle.vq.encode(torch.from_numpy(colors).permute(2, 0, 1)[None].float() / 127.5 - 1).latents
    with torch.no_grad():
        z = sample(unet_eps_fn(unet), sched, z_color=z_c, cond=cond, seeds=[seed], progress=False)
        x = bundle.vq.decode(z, force_not_quantize=True).sample
    return torch.floor(((x + 1) * 127.5).clamp(0, 255) + 0.5)[0].permute(1, 2, 0).numpy().astype(np.uint8)


def _ddim_every_timestep(k_top=701):
    tau = list(range(1, k_top + 1))
    return SamplerSchedule(SAMPLER_DDIM, Schedule(tau, len(tau) - 1, 512, 0, ddim_coefficients(ABAR, tau, 0)))


def test_default_steps_within_tolerance_of_ddim_1000(gen):
    """On the tiny model with a smooth time dependence (see benchmarks/sampler_convergence.py: the
    shipped random weights follow a 1 rad/timestep sinusoid that a trained network would not), the
    default DPM-Solver++(2M) steps land within the §8.9 tolerance of DDIM with every timestep, and
    DDIM with as many network evaluations does not."""
    b = gen.bundle(PROFILE_TINY)
    unet = _smooth_t_unet(b.unet)
    labels, colors = _inputs(1)
    ref = _pixels(b, unet, labels, colors, _ddim_every_timestep())
    n = DEFAULT_STEPS[SAMPLER_DPMPP_2M]
    got = _pixels(b, unet, labels, colors, make_sampler_schedule(SAMPLER_DPMPP_2M, n, 700, 512, 0))
    ok, rmse, peak = within_tolerance(got, ref)
    assert ok, (rmse, peak)
    same_cost = _pixels(b, unet, labels, colors, make_sampler_schedule(SAMPLER_DDIM, n, 700, 512, 0))
    ok_ddim, rmse_ddim, _ = within_tolerance(same_cost, ref)
    assert not ok_ddim and rmse_ddim > 2 * rmse, (rmse_ddim, rmse)


def _params(**kw):
    base = dict(profile_id=PROFILE_TINY, seed=11, steps=20, strength_permille=700, guidance_q8=512, sampler=1)
    base.update(kw)
    return GP(**base)


def test_generator_reads_the_sampler_field(gen):
    labels, colors = _inputs(2, 40, 56)
    kw = dict(labels_full=labels, colors_full=colors, progress=False)
    dpm = gen.generate(params=_params(), **kw)
    ddim = gen.generate(params=_params(sampler=0), **kw)
    plain = gen.generate(params=GenerationParams(profile_id=PROFILE_TINY, seed=11, steps=20, strength_permille=700,
                                                 guidance_q8=512), **kw)
    assert np.array_equal(ddim, plain)  # no field = sampler 0
    assert not within_tolerance(dpm, ddim)[0]  # a conformance vector tells the samplers apart
    # (FormatError / UnsupportedError here; GenerationParams.problems() of 2.0 may say it first)
    with pytest.raises(SSGCError):
        gen.generate(params=_params(eta_q8=64), **kw)
    with pytest.raises(SSGCError):
        gen.generate(params=_params(sampler=2), **kw)
    # mixed samplers in one batch: grouped apart, each as alone
    outs = gen.generate_batch([dict(params=_params(), **kw), dict(params=_params(sampler=0), **kw)], progress=False)
    assert within_tolerance(outs[0], dpm)[2] <= 2 and within_tolerance(outs[1], ddim)[2] <= 2


def test_conformance_style_vector_sampler_1(gen):
    """What a sampler-1 vector checks (conformance/models/make_generation_vectors.py): float32 and
    float64 decoders agree within §8.9, a wrong seed does not."""
    from conformance.models.make_generation_vectors import vectors

    f64 = get_generator("ldm", device="cpu", float64=True)
    for name, v in ((n, v) for n, v in vectors().items() if v["params"].sampler == 1):
        kw = dict(labels_full=v["labels"], colors_full=v["colors"], roi_rgb=v.get("roi"), mask=v.get("mask"),
                  progress=False)
        a = gen.generate(params=v["params"], **kw)
        ok, rmse, peak = within_tolerance(f64.generate(params=v["params"], **kw), a)
        assert ok and rmse < 0.1, (name, rmse, peak)
        wrong = gen.generate(params=dataclasses.replace(v["params"], seed=v["params"].seed ^ 1), **kw)
        _, rmse_w, peak_w = within_tolerance(wrong, a)
        assert rmse_w > 4 * RMSE_MAX and peak_w > PEAK_MAX, name


def test_roi_reimposition_with_dpm_solver(gen):
    b = gen.bundle(PROFILE_TINY)
    labels, colors = _inputs(4, 48, 64)
    roi = np.full((48, 64, 3), 200, np.uint8)
    roi[:, :, 1] = np.arange(64, dtype=np.uint8)[None] * 3
    mask = np.zeros((48, 64), np.uint8)
    mask[8:32, 16:48] = 1
    mu = torch.from_numpy(latent_mask(mask, 4))[None, None]
    z_r = b.vq.encode(torch.from_numpy(roi).permute(2, 0, 1)[None].float() / 127.5 - 1).latents
    cond = b.cond(torch.from_numpy(labels.astype(np.int64))[None])
    z_c = b.vq.encode(torch.from_numpy(colors).permute(2, 0, 1)[None].float() / 127.5 - 1).latents
    sch = make_sampler_schedule(SAMPLER_DPMPP_2M, 10, 700, 512, 0)
    z = sample(unet_eps_fn(b.unet), sch, z_color=z_c, cond=cond, seeds=[3], reimpose=make_reimpose(z_r, mu, [3]),
               progress=False)
    r0 = torch.from_numpy(gaussian_noise(3, tuple(z_r.shape[1:]), 1001))[None]
    a0 = ABAR[0]
    known = math.sqrt(a0) * z_r + math.sqrt(1 - a0) * r0
    inside = mu[0, 0] == 1
    assert torch.allclose(z[0][:, inside], known[0][:, inside], atol=1e-5)
    assert (z[0][:, ~inside] - known[0][:, ~inside]).abs().mean() > 0.1
    # through the generator with the flag
    out = gen.generate(labels_full=labels, colors_full=colors, roi_rgb=roi, mask=mask,
                       params=_params(steps=10, flags=FLAG_ROI_AWARE), progress=False)
    assert out.shape == (48, 64, 3)


def test_encode_sampler_option(tmp_path):
    """``ssgc-ref encode --sampler dpmpp-2m`` writes sampler 1 with 40 steps; DDIM: 200 steps."""
    from PIL import Image

    from ssgc_format.file import read_ssgc
    from ssgc_ref.cli import EXIT_OK, main

    src = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(src)
    out = tmp_path / "out.ssgc"
    assert main(["encode", str(src), "-o", str(out), "--sampler", "dpmpp-2m", "--profile", "2", "--seed", "3",
                 "--quiet"]) == EXIT_OK
    g = read_ssgc(out.read_bytes()).genparams
    assert (g.sampler, g.steps, g.eta_q8) == (1, 40, 0)
    assert main(["encode", str(src), "-o", str(tmp_path / "d.ssgc"), "--sampler", "ddim", "--profile", "2",
                 "--quiet"]) == EXIT_OK
    assert read_ssgc((tmp_path / "d.ssgc").read_bytes()).genparams.steps == 200
