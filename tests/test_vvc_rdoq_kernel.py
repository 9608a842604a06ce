"""rdoq.py's compiled kernel returns exactly the levels of the interpreted code: the kernel against
its own ``.py_func``, and rdoq() against the pure-Python implementation it replaced (kept here, and
only here, as the oracle), on random context states, coefficients, QPs, shapes and components."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc import rdoq as R
from ssgc_ref.vvc.cabac import _COST0, _COST1, ContextStates
from ssgc_ref.vvc.quant import _scale_params
from ssgc_ref.vvc.residual_coding import _RICE, _last_prefix, last_ctx, tables, zero_out_levels

SIDES = (4, 8, 16, 32)
KINDS = ("zeros", "small", "medium", "large", "huge", "sparse")


# ---- the pre-kernel reference: rdoq.py's pure-Python implementation before the numba kernel ----
# (a verbatim copy of rdoq(), _rdoq_region() and _abs_bits() at commit 53e7be4; the oracle of the
# tests below, not used by the encoder)

def _ref_abs_bits(value: int, rice: int) -> float:
    q = value >> rice
    if q < 6:
        return q + 1 + rice
    s = value - (6 << rice)
    k = rice + 1
    pre = 0
    while pre < 11 and s >= ((2 << pre) - 1) << k:
        pre += 1
    return 6 + (pre + 15 if pre == 11 else 2 * pre + 1 + k)


def _ref_rdoq(coeffs: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, ctx) -> np.ndarray:
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd)
    step = ls / float(1 << bd_shift)
    gain = R._energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _ref_rdoq_region(c, step, gain, log2s, c_idx, lam, ctx))


def _ref_rdoq_region(coeffs: np.ndarray, step: float, gain: float, log2s: tuple[int, int], c_idx: int,
                     lam: float, ctx) -> np.ndarray:
    hh, n = coeffs.shape  # n: width (the raster stride)
    T = tables(n, hh)
    flat = coeffs.ravel().astype(np.float64)
    mag = np.abs(flat)
    l0 = np.minimum(np.floor(mag / step + 0.5), 32767).astype(np.int64)  # TransCoeffLevel range
    sc = l0[T.scan]
    nz = np.flatnonzero(sc)
    out = np.zeros(n * hh, dtype=np.int64)
    if nz.size == 0:
        return out.reshape(hh, n).astype(np.int32)
    last_k = int(nz[-1])
    s0, s1 = ctx.s0, ctx.s1
    c0, c1 = _COST0, _COST1

    def cost(ci: int, b: int) -> float:
        i = (s1[ci] + (s0[ci] << 4)) >> 5
        return c1[i] if b else c0[i]

    chroma = c_idx > 0
    sig_base = C.SIG + (36 if chroma else 0)
    tmpl, diag = T.tmpl, T.diag
    pass1 = [0] * (n * hh)
    absl = [0] * (n * hh)
    lam_inv = 1.0 / lam
    mag_l = mag.tolist()
    l0_l = l0.tolist()
    scan = T.scan.tolist()
    out_l = [0] * (n * hh)
    # per scan position: cost (in bits-equivalent units D/lam + R) of the chosen level and of zero
    chosen_j = [0.0] * (last_k + 1)
    zero_d = [0.0] * (last_k + 1)
    sigbits1 = [0.0] * (last_k + 1)  # sig_coeff_flag = 1 cost (saved when the position is last)
    gtx, par_c, gt3_c = C.GTX, C.PAR, C.GTX + 32
    for k in range(last_k, -1, -1):
        p = scan[k]
        m = mag_l[p]
        lv = l0_l[p]
        zd = gain * m * m * lam_inv
        zero_d[k] = zd
        if lv == 0:
            s = 0
            for t in tmpl[p]:
                s += pass1[t]
            d = diag[p]
            s = min((s + 1) >> 1, 3)
            ci = sig_base + s + ((4 if d < 2 else 0) if chroma else (8 if d < 2 else (4 if d < 5 else 0)))
            chosen_j[k] = zd + c0[(s1[ci] + (s0[ci] << 4)) >> 5]
            continue
        s = 0
        ns = 0
        sr = 0
        for t in tmpl[p]:
            v = pass1[t]
            if v:
                s += v
                ns += 1
            sr += absl[t]
        d = diag[p]
        sg = min((s + 1) >> 1, 3)
        ci = sig_base + sg + ((4 if d < 2 else 0) if chroma else (8 if d < 2 else (4 if d < 5 else 0)))
        o = min(s - ns, 4)
        if chroma:
            inc = 22 + o + (5 if d == 0 else 0)
        else:
            inc = 1 + o + (15 if d == 0 else (10 if d < 3 else (5 if d < 10 else 0)))
        i_sig = (s1[ci] + (s0[ci] << 4)) >> 5
        best_j, best_l = zd + c0[i_sig], 0
        sig1 = c1[i_sig]
        ci = gtx + inc
        i_gt1 = (s1[ci] + (s0[ci] << 4)) >> 5
        for cand in (lv, lv - 1):
            if cand <= 0:
                continue
            if cand > 1:
                r = sig1 + 1.0 + c1[i_gt1]
                ci = par_c + inc
                i = (s1[ci] + (s0[ci] << 4)) >> 5
                ci = gt3_c + inc
                i3 = (s1[ci] + (s0[ci] << 4)) >> 5
                r += (c1[i] if (cand - 2) & 1 else c0[i]) + (c1[i3] if cand >= 4 else c0[i3])
                if cand >= 4:
                    r += _ref_abs_bits((cand - 4) >> 1, _RICE[min(max(sr - 20, 0), 31)])
            else:
                r = sig1 + 1.0 + c0[i_gt1]
            e = m - cand * step
            j = gain * e * e * lam_inv + r
            if j < best_j:
                best_j, best_l = j, cand
        if lv > 2 and best_l == 0:
            best_l = lv - 1
            e = m - best_l * step
            best_j = gain * e * e * lam_inv + sig1 + 3.0
        chosen_j[k] = best_j
        sigbits1[k] = sig1
        out_l[p] = best_l
        if best_l:
            absl[p] = best_l
            pass1[p] = best_l if best_l < 4 else 4 + (best_l & 1)
    # choose the last significant position
    (bx, ox, shx, cmx), (by, oy, shy, cmy) = (
        (C.LAST_X,) + last_ctx(log2s[0], chroma) + (2 * T.log2w - 1,),
        (C.LAST_Y,) + last_ctx(log2s[1], chroma) + (2 * T.log2h - 1,))

    def terms(v: int, base: int, off: int, shift: int, cmax: int) -> list[float]:
        """The additions of one coordinate's last_sig_coeff prefix bins and suffix length."""
        pre, _, sl = _last_prefix(v)
        t = [cost(base + off + (i >> shift), 1) for i in range(pre)]
        if pre < cmax:
            t.append(cost(base + off + (pre >> shift), 0))
        t.append(sl)
        return t

    xpart: dict[int, float] = {}
    yterms: dict[int, list[float]] = {}

    def last_bits(pos: int) -> float:
        # the sum 0.0 + x terms + y terms in that order (the x part shared by every position)
        vx, vy = pos % n, pos // n
        r = xpart.get(vx)
        if r is None:
            r = 0.0
            for t in terms(vx, bx, ox, shx, cmx):
                r += t
            xpart[vx] = r
        ty = yterms.get(vy)
        if ty is None:
            ty = yterms[vy] = terms(vy, by, oy, shy, cmy)
        for t in ty:
            r += t
        return r

    tail_zero = 0.0  # sum of zero_d beyond the candidate last
    prefix = np.cumsum(chosen_j).tolist()
    best_total, best_last = None, -1
    for k in range(last_k, -1, -1):
        p = scan[k]
        if out_l[p]:
            total = prefix[k] - sigbits1[k] + tail_zero + last_bits(p)
            if best_total is None or total < best_total:
                best_total, best_last = total, k
        tail_zero += zero_d[k]
    if best_total is None or tail_zero <= best_total:  # all-zero block is cheaper (cbf = 0)
        return np.zeros((hh, n), dtype=np.int32)
    for k in range(best_last + 1, last_k + 1):
        out_l[scan[k]] = 0
    out = np.array(out_l, dtype=np.int64)
    return (np.sign(flat).astype(np.int64) * out).reshape(hh, n).astype(np.int32)

# ---- end of the pre-kernel reference ----


def _random_states(rng: np.random.Generator, qp: int) -> ContextStates:
    ctx = ContextStates(qp)
    ctx.s0[:] = rng.integers(0, 1024, len(ctx.s0))
    ctx.s1[:] = rng.integers(0, 16384, len(ctx.s1))
    return ctx


def _random_coeffs(rng: np.random.Generator, h: int, w: int, kind: str) -> np.ndarray:
    """Scaled coefficients as forward_dct2 gives them (int32), of several magnitudes."""
    if kind == "zeros":
        return np.zeros((h, w), dtype=np.int32)
    scale = {"small": 4.0, "medium": 60.0, "large": 1500.0, "huge": 2.0e6, "sparse": 300.0}[kind]
    decay = np.exp(-np.add.outer(np.arange(h), np.arange(w)) / rng.uniform(1.0, 16.0))
    c = rng.laplace(0, scale, (h, w)) * (decay if rng.random() < 0.7 else 1.0)
    if kind == "sparse":
        c[rng.random((h, w)) > 0.1] = 0
    if rng.random() < 0.2:  # one very large coefficient (the 32767 clip of the level at low QPs)
        c[rng.integers(h), rng.integers(w)] = rng.choice([-1, 1]) * rng.uniform(1e4, 2e6)
    return np.round(c).astype(np.int32)


def _interpreted(fn):
    """The Python function of a kernel (the function itself under NUMBA_DISABLE_JIT=1)."""
    return getattr(fn, "py_func", fn)


def _lambda(rng: np.random.Generator, qp: int, bd: int) -> float:
    return 0.57 * 2.0 ** ((qp - 12) / 3.0) * 4.0 ** (bd - 8) * rng.uniform(0.25, 4.0)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.integers(0, 63),
       st.sampled_from((8, 10)), st.integers(0, 2), st.sampled_from(KINDS))
def test_kernel_equals_its_interpreted_function(seed, h, w, qp, bd, c_idx, kind):
    rng = np.random.default_rng(seed)
    ctx = _random_states(rng, qp)
    before = ctx.snapshot()
    coeffs = _random_coeffs(rng, h, w, kind)
    lam = _lambda(rng, qp, bd)
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd)
    args = (coeffs, ls / float(1 << bd_shift), R._energy_gain(h, w, bd), (w.bit_length() - 1, h.bit_length() - 1),
            c_idx, lam, ctx)
    compiled = R._region_levels(*args)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("_rdoq_region", "_ctx_index", "_last_terms_sum", "_abs_bits"):  # the kernel and its callees
            mp.setattr(R, name, _interpreted(getattr(R, name)))
        interpreted = R._region_levels(*args)
    assert compiled.dtype == interpreted.dtype == np.int32 and compiled.shape == (h, w)
    assert np.array_equal(compiled, interpreted)
    assert np.array_equal(ctx.s0, before[0]) and np.array_equal(ctx.s1, before[1])  # states read only


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES + (64,)), st.sampled_from(SIDES + (64,)),
       st.integers(0, 63), st.sampled_from((8, 10)), st.integers(0, 2), st.sampled_from(KINDS))
def test_rdoq_equals_the_pre_kernel_reference(seed, h, w, qp, bd, c_idx, kind):
    rng = np.random.default_rng(seed)
    ctx = _random_states(rng, qp) if rng.random() < 0.8 else ContextStates(qp)
    coeffs = _random_coeffs(rng, h, w, kind)
    lam = _lambda(rng, qp, bd)
    new = R.rdoq(coeffs, qp, bd, c_idx, lam, ctx)
    ref = _ref_rdoq(coeffs, qp, bd, c_idx, lam, ctx)
    assert new.dtype == ref.dtype == np.int32
    assert np.array_equal(new, ref)


def test_abs_bits_equals_reference_and_interpreted():
    for rice in range(4):
        for value in list(range(300)) + [1 << e for e in range(9, 17)] + [(1 << e) - 1 for e in range(9, 17)]:
            ref = _ref_abs_bits(value, rice)
            assert R._abs_bits(value, rice) == _interpreted(R._abs_bits)(value, rice) == ref
