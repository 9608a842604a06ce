"""The ldm generator with the tiny conformance model (spec §8.4-§8.8, Annex B profile 2)."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch

from ssgc_format.errors import InputError, ModelError, UnsupportedError
from ssgc_format.genparams import FLAG_ROI_AWARE, GenerationParams
from ssgc_format.noise import gaussian_noise
from ssgc_format.profiles import PROFILE_TINY, PROFILES
from ssgc_ref.generators import get_generator
from ssgc_ref.generators.ldm import TINY_MODEL_DIR, LDMGenerator
from ssgc_ref.generators.roi_aware import feather_weights, feathered_composite, latent_mask, make_reimpose
from ssgc_ref.generators.sampler import ddim_sample, make_schedule, unet_eps_fn
from ssgc_ref.generators.weights import canonical_digest, load_model_dir

torch.set_num_threads(1)  # the shared CPU: oversubscription makes tiny convolutions 100x slower

H, W = 40, 56  # not multiples of 16: padded to 48 x 64, latent 12 x 16


def _inputs(seed=0, h=H, w=W):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.repeat(rng.integers(0, 183, (4, 4)).astype(np.uint8), 16, 0), 16, 1)[:h, :w]
    colors = np.repeat(np.repeat(rng.integers(0, 256, (4, 4, 3)).astype(np.uint8), 16, 0), 16, 1)[:h, :w]
    return labels, colors


@pytest.fixture(scope="module")
def gen():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # profile 2 is pinned: loading it must not warn
        g = get_generator("ldm", device="cpu")
        g.bundle(PROFILE_TINY)
    return g


def _params(**kw):
    base = dict(profile_id=PROFILE_TINY, seed=7, steps=10, strength_permille=700, guidance_q8=512)
    base.update(kw)
    return GenerationParams(**base)


def test_registry_lists_valid_ids():
    with pytest.raises(InputError, match="ldm"):
        get_generator("no-such-generator")
    # the keyword arguments the decoder passes (ssgc_ref/decoder.py)
    g = get_generator("ldm", profile_id=PROFILE_TINY, model_dir=None, allow_model_mismatch=False, device="cpu")
    assert isinstance(g, LDMGenerator) and g.id == "ldm"


def test_shipped_tiny_model_is_the_generated_one():
    import importlib.util
    spec = importlib.util.spec_from_file_location("mtm", TINY_MODEL_DIR.parents[1] / "make_tiny_model.py")
    mtm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mtm)
    assert canonical_digest(mtm.tiny_state_dicts()) == PROFILES[PROFILE_TINY].weights_sha256


def test_deterministic_and_shape(gen):
    labels, colors = _inputs()
    a = gen.generate(labels_full=labels, colors_full=colors, params=_params(), progress=False)
    b = gen.generate(labels_full=labels, colors_full=colors, params=_params(), progress=False)
    assert a.shape == (H, W, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    c = gen.generate(labels_full=labels, colors_full=colors, params=_params(seed=8), progress=False)
    assert not np.array_equal(a, c)


# --- a step-by-step reference written from the equations of §8.4-§8.6, in float64 -------------
def _reference(bundle, labels, colors, p: GenerationParams):
    unet = copy.deepcopy(bundle.unet).double()
    vq = copy.deepcopy(bundle.vq).double()
    hp, wp = -(-labels.shape[0] // 16) * 16, -(-labels.shape[1] // 16) * 16
    lab = np.pad(labels, ((0, hp - labels.shape[0]), (0, wp - labels.shape[1])), mode="edge")
    col = np.pad(colors, ((0, hp - labels.shape[0]), (0, wp - labels.shape[1]), (0, 0)), mode="edge")
    wc = bundle.cond.channel_mapper.weight[:, :, 0, 0].double().numpy()
    wc = np.concatenate([wc, np.zeros((3, 1))], axis=1)  # label 182: zero
    per_px = wc[:, lab]  # (3, hp, wp)
    cond = per_px.reshape(3, hp // 4, 4, wp // 4, 4).mean(axis=(2, 4))  # 4x4 block mean
    x = torch.from_numpy(col).permute(2, 0, 1)[None].double() / 127.5 - 1.0
    with torch.no_grad():
        z_c = vq.encoder(x)
        z_c = vq.quant_conv(z_c)[0].numpy()
    # schedule (§8.3, §8.5)
    n, T = p.steps, 1000
    tau = [i * T // n + 1 for i in range(n)]
    k0 = min(n - 1, n * p.strength_permille // 1000)
    s0, s1 = math.sqrt(0.0015), math.sqrt(0.0205)
    abar, acc = [], 1.0
    for t in range(T):
        acc *= 1 - (s0 + t * (s1 - s0) / (T - 1)) ** 2
        abar.append(acc)
    g = p.guidance_q8 / 256
    eps0 = gaussian_noise(p.seed, z_c.shape, 0).astype(np.float64)
    a = abar[tau[k0]]
    z = math.sqrt(a) * z_c + math.sqrt(1 - a) * eps0

    def eps(zz, t, cc):
        inp = torch.from_numpy(np.concatenate([zz, cc])[None])
        with torch.no_grad():
            return unet(inp, torch.tensor([t])).sample[0].numpy()

    calls = []
    for i in range(k0, -1, -1):
        a = abar[tau[i]]
        a_prev = abar[tau[i - 1]] if i > 0 else abar[0]
        e_c = eps(z, tau[i], cond)
        e_u = eps(z, tau[i], np.zeros_like(cond))
        e = e_u + g * (e_c - e_u)
        calls.append(tau[i])
        x0 = (z - math.sqrt(1 - a) * e) / math.sqrt(a)
        z = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * e
    with torch.no_grad():
        xg = vq.decode(torch.from_numpy(z[None]), force_not_quantize=True).sample[0].numpy()
    v = (xg + 1) * 127.5
    img = np.floor(np.clip(v, 0, 255) + 0.5).astype(np.uint8).transpose(1, 2, 0)
    return img[: labels.shape[0], : labels.shape[1]], calls


def _rmse_peak(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return math.sqrt((d * d).mean()), np.abs(d).max()


def test_matches_reference_from_the_equations(gen):
    labels, colors = _inputs(1)
    p = _params(steps=8, strength_permille=600, guidance_q8=640)
    got = gen.generate(labels_full=labels, colors_full=colors, params=p, progress=False)
    ref, calls = _reference(gen.bundle(PROFILE_TINY), labels, colors, p)
    assert calls == [501, 376, 251, 126, 1]  # tau_i = 125 i + 1; k0 = 8*600 // 1000 = 4
    rmse, peak = _rmse_peak(got, ref)
    assert rmse <= 1.0 and peak <= 16, (rmse, peak)  # §8.9 tolerance
    assert rmse < 0.5


class _Spy:
    def __init__(self, unet):
        self.unet, self.calls = unet, []

    def __call__(self, x, t, c):
        self.calls.append((t, x.clone(), c.clone()))
        return unet_eps_fn(self.unet)(x, t, c)


def _sample(bundle, labels, colors, p, reimpose=None):
    lab = torch.from_numpy(np.pad(labels, ((0, 8), (0, 8)), mode="edge").astype(np.int64))[None]
    col = np.pad(colors, ((0, 8), (0, 8), (0, 0)), mode="edge")
    cond = bundle.cond(lab)
    z_c = bundle.vq.encode(torch.from_numpy(col).permute(2, 0, 1)[None].float() / 127.5 - 1).latents
    spy = _Spy(bundle.unet)
    sched = make_schedule(p.steps, p.strength_permille, p.guidance_q8, p.eta_q8)
    z = ddim_sample(spy, sched, z_color=z_c, cond=cond, seeds=[p.seed], reimpose=reimpose, progress=False)
    return z, spy, z_c, cond, sched


def test_sdedit_start_index_and_start_latent(gen):
    b = gen.bundle(PROFILE_TINY)
    labels, colors = _inputs(2)
    p = _params(steps=20, strength_permille=700, guidance_q8=256)
    z, spy, z_c, cond, sched = _sample(b, labels, colors, p)
    assert [t for t, _, _ in spy.calls] == [1 + 50 * i for i in range(14, -1, -1)]  # k0 = 14: 701 .. 1
    a = sched.coef["a"][14]
    eps0 = torch.from_numpy(gaussian_noise(p.seed, tuple(z_c.shape[1:]), 0))[None]
    expected = math.sqrt(a) * z_c + math.sqrt(1 - a) * eps0
    assert torch.allclose(spy.calls[0][1], expected, atol=1e-5)  # the SDEdit start, not pure noise
    # the color map matters through the start latent
    other = gen.generate(labels_full=labels, colors_full=255 - colors, params=p, progress=False)
    same = gen.generate(labels_full=labels, colors_full=colors, params=p, progress=False)
    assert _rmse_peak(other, same)[0] > 5


def test_guidance_uses_the_null_condition(gen):
    b = gen.bundle(PROFILE_TINY)
    labels, colors = _inputs(3)
    z2, spy, _, cond, _ = _sample(b, labels, colors, _params(steps=5, guidance_q8=512))
    for _, x, c in spy.calls:
        assert x.shape[0] == 2 and torch.equal(x[0], x[1])
        assert torch.count_nonzero(c[0]) == 0 and torch.equal(c[1], cond[0])
    z1, spy1, _, _, _ = _sample(b, labels, colors, _params(steps=5, guidance_q8=256))
    assert all(x.shape[0] == 1 for _, x, _ in spy1.calls)
    assert (z2 - z1).abs().max() > 1e-2  # guidance changes the result
    # g = 2: e = e_u + 2 (e_c - e_u) = 2 e_c - e_u, checked on the last step's inputs
    t, x, c = spy.calls[-1]
    with torch.no_grad():
        e = unet_eps_fn(b.unet)(x, t, c)
    assert torch.allclose(e[0] + 2 * (e[1] - e[0]), 2 * e[1] - e[0], atol=1e-5)


def test_roi_reimposition(gen):
    b = gen.bundle(PROFILE_TINY)
    labels, colors = _inputs(4)
    roi = np.full((48, 64, 3), 200, np.uint8)
    roi[:, :, 1] = np.arange(64, dtype=np.uint8)[None] * 3
    mask = np.zeros((48, 64), np.uint8)
    mask[8:32, 16:48] = 1
    mu = torch.from_numpy(latent_mask(mask, 4))[None, None]
    z_r = b.vq.encode(torch.from_numpy(roi).permute(2, 0, 1)[None].float() / 127.5 - 1).latents
    p = _params(steps=6, flags=FLAG_ROI_AWARE)
    z, *_rest, sched = _sample(b, labels, colors, p, reimpose=make_reimpose(z_r, mu, [p.seed]))
    r0 = torch.from_numpy(gaussian_noise(p.seed, tuple(z_r.shape[1:]), 1001))[None]
    known = math.sqrt(sched.coef["a_prev"][0]) * z_r + math.sqrt(1 - sched.coef["a_prev"][0]) * r0
    inside = mu[0, 0] == 1
    assert torch.allclose(z[0][:, inside], known[0][:, inside], atol=1e-5)
    z_plain, *_ = _sample(b, labels, colors, _params(steps=6))
    assert (z_plain[0][:, inside] - known[0][:, inside]).abs().mean() > 0.1
    # through the generator: with a full mask the output is the decoded ROI latent (the decoder's
    # GroupNorm and attention are global, so a partial mask is only checked in latent space above)
    lab, col = _inputs(4, 48, 64)
    kw = dict(labels_full=lab, colors_full=col, roi_rgb=roi, mask=np.ones((48, 64), np.uint8), progress=False)
    with_roi = gen.generate(params=p, **kw)
    without = gen.generate(params=_params(steps=6), **kw)
    with torch.no_grad():
        recon = b.vq.decode(z_r, force_not_quantize=True).sample
    recon = torch.floor(((recon + 1) * 127.5).clamp(0, 255) + 0.5)[0].permute(1, 2, 0).numpy()
    err_with = np.abs(with_roi.astype(float) - recon).mean()
    err_without = np.abs(without.astype(float) - recon).mean()
    assert err_with < 8 and err_without > 4 * err_with, (err_with, err_without)


def test_latent_mask_fractions():
    m = np.zeros((8, 8), np.uint8)
    m[0:4, 0:4] = 1
    m[4, 4] = 1
    mu = latent_mask(m, 4)
    assert mu.tolist() == [[1.0, 0.0], [0.0, 1 / 16]]


def test_feathered_composite_exact():
    mask = np.zeros((20, 20), np.uint8)
    mask[2:18, 2:18] = 1
    a = feather_weights(mask)
    assert a[0, 0] == 0 and a[10, 10] == 256 and a[2, 2] == (256 * 16 + 24) // 49
    assert a[mask == 0].max() == 0 and 0 < a[2, 10] < 256
    g = np.full((20, 20, 3), 10, np.uint8)
    c = np.full((20, 20, 3), 250, np.uint8)
    out = feathered_composite(g, c, mask)
    assert out[10, 10, 0] == 250 and out[0, 0, 0] == 10
    assert out[2, 10, 0] == (a[2, 10] * 250 + (256 - a[2, 10]) * 10 + 128) >> 8


def test_steps_batch_and_sizes(gen):
    labels, colors = _inputs(5)
    items = [dict(labels_full=labels, colors_full=colors, params=_params(seed=s, steps=4)) for s in (1, 2)]
    lab2, col2 = _inputs(6, 17, 33)
    items.append(dict(labels_full=lab2, colors_full=col2, params=_params(seed=3, steps=3)))
    outs = gen.generate_batch(items, progress=False)
    assert [o.shape for o in outs] == [(H, W, 3), (H, W, 3), (17, 33, 3)]
    for it, o in zip(items, outs):
        single = gen.generate(progress=False, **it)
        assert _rmse_peak(single, o)[1] <= 2  # batching may change the summation order only


@pytest.mark.parametrize("kw", [
    dict(labels_full=np.zeros((8, 8), np.int32)),
    dict(labels_full=np.full((8, 8), 183, np.uint8)),
    dict(colors_full=np.zeros((8, 9, 3), np.uint8)),
    dict(roi_rgb=np.zeros((8, 8, 3), np.uint8)),
    dict(roi_rgb=np.zeros((8, 8, 3), np.uint8), mask=np.zeros((8, 7), np.uint8)),
])
def test_bad_inputs(gen, kw):
    args = dict(labels_full=np.zeros((8, 8), np.uint8), colors_full=np.zeros((8, 8, 3), np.uint8),
                params=_params(steps=1))
    args.update(kw)
    with pytest.raises(InputError):
        gen.generate(progress=False, **args)


def test_profiles_and_mismatch(tmp_path):
    g = LDMGenerator(device="cpu")
    labels, colors = _inputs()
    with pytest.raises(UnsupportedError):
        g.generate(labels_full=labels, colors_full=colors, params=_params(profile_id=0), progress=False)
    with pytest.raises(UnsupportedError):
        g.generate(labels_full=labels, colors_full=colors, params=_params(profile_id=77), progress=False)
    with pytest.raises(ModelError, match="convert-model"):
        g.generate(labels_full=labels, colors_full=colors, params=_params(profile_id=1), progress=False)
    # other weights for profile 2: refused, or a warning with allow_model_mismatch
    import shutil
    from safetensors.torch import load_file, save_file
    d = tmp_path / "tiny2"
    shutil.copytree(TINY_MODEL_DIR, d)
    f = d / "condition" / "model.safetensors"
    sd = load_file(str(f))
    sd["channel_mapper.weight"] = sd["channel_mapper.weight"] * 2
    save_file(sd, str(f))
    with pytest.raises(ModelError, match="digest"):
        load_model_dir(d, PROFILE_TINY)
    with pytest.warns(UserWarning, match="digest"):
        load_model_dir(d, PROFILE_TINY, allow_model_mismatch=True)
    with pytest.raises(ModelError, match="profile 2"):
        load_model_dir(d, 1)
    sd["channel_mapper.weight"] = sd["channel_mapper.weight"][:2]
    save_file(sd, str(f))
    with pytest.raises(ModelError, match="condition"):
        load_model_dir(d, PROFILE_TINY, allow_model_mismatch=True)


def test_mask_without_roi_is_ignored(gen):
    labels, colors = _inputs(7)
    p = _params(steps=2, flags=FLAG_ROI_AWARE)
    a = gen.generate(labels_full=labels, colors_full=colors, params=p, progress=False)
    b = gen.generate(labels_full=labels, colors_full=colors, params=p, mask=np.ones((H, W), np.uint8), progress=False)
    assert np.array_equal(a, b)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_feather_weights_match_the_definition(h, w, seed):
    mask = (np.random.default_rng(seed).random((h, w)) < 0.6).astype(np.uint8)
    a = feather_weights(mask)
    for y in range(h):
        for x in range(w):
            s = sum(int(mask[min(max(y + dy, 0), h - 1), min(max(x + dx, 0), w - 1)])
                    for dy in range(-3, 4) for dx in range(-3, 4))
            assert a[y, x] == ((256 * s + 24) // 49 if mask[y, x] else 0)
