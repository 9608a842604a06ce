"""dep_quant's flattened wrappers (dq_quantize calling _viterbi directly with a cached per-shape
parameter bundle, trans_levels without the zero-out copy) equal, level for level, the wrappers of
commit c695839 (kept verbatim below as the oracle), on hypothesis-random blocks, context states,
QPs, shapes (64-sample sides included: the general path), components, passes and dtypes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc.cabac import COST0, COST1, ContextStates
from ssgc_ref.vvc.dep_quant import _CTX, _GTX_DIAG, _NO_KP, _SIG_DIAG, _TRANS, _qstate_walk, _viterbi
from ssgc_ref.vvc.dep_quant import dq_quantize, trans_levels
from ssgc_ref.vvc.quant import _scale_params
from ssgc_ref.vvc.rdoq import _CODES, _energy_gain
from ssgc_ref.vvc.residual_coding import last_params, tables, zero_out, zero_out_levels

SIDES = (4, 8, 16, 32, 64)


# -- the oracle: dep_quant's wrappers as of c695839 (verbatim, the kernels imported) ---------------

def _old_trans_levels(levels: np.ndarray) -> np.ndarray:
    region, _, _ = zero_out(levels)
    hh, n = region.shape
    out = _qstate_walk(np.asarray(region, dtype=np.int64).ravel(), tables(n, hh).scan, _TRANS)
    res = np.zeros(levels.shape, dtype=np.int32)
    res[:hh, :n] = out.reshape(hh, n)
    return res


def _old_dq_quantize(coeffs, qp, bd, c_idx, lam, ctx, passes=1):
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd, True)
    delta = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _old_trellis(c, delta, gain, log2s, c_idx, lam, ctx, passes))


def _old_trellis(coeffs, delta, gain, log2s, c_idx, lam, ctx, passes):
    kp = None
    out = np.zeros(coeffs.shape, dtype=np.int32)
    for _ in range(passes):
        out = _old_trellis1(coeffs, delta, gain, log2s, c_idx, lam, ctx, kp)
        kp = np.abs(out).ravel()
    return out


def _old_trellis1(coeffs, delta, gain, log2s, c_idx, lam, ctx, kp=None):
    hh, n = coeffs.shape
    T = tables(n, hh)
    chroma = c_idx > 0
    last = last_params(log2s[0], log2s[1], chroma, n.bit_length() - 1, hh.bit_length() - 1)
    kpa = _NO_KP if kp is None else np.asarray(kp, dtype=np.int64)
    out = _viterbi(coeffs.ravel().astype(np.float64), n, float(delta), float(gain), float(lam), chroma, kpa,
                   ctx.s0, ctx.s1, COST0, COST1, T.scan, T.tmpl_a, T.diag_a, T.sb_nb_a, last, _CTX, _TRANS,
                   _SIG_DIAG, _GTX_DIAG, _CODES)
    return out.reshape(hh, n)


# -- the checks -------------------------------------------------------------------------------------

def _states(rng: np.random.Generator, qp: int) -> ContextStates:
    ctx = ContextStates(qp)
    n = len(ctx.s0)
    ctx.s0[:], ctx.s1[:] = rng.integers(0, 1024, n), rng.integers(0, 16384, n)
    return ctx


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.integers(0, 2),
       st.integers(0, 63), st.sampled_from((8, 10)), st.integers(0, 3), st.booleans(), st.floats(-1.0, 7.0))
def test_dq_quantize_equals_the_old_wrappers(seed, h, w, c_idx, qp, bd, passes, as_float, scale):
    rng = np.random.default_rng(seed)
    ctx = _states(rng, qp) if rng.random() < 0.7 else ContextStates(qp)
    ls, sh = _scale_params((h, w), qp, bd, True)
    c = np.round(rng.laplace(0, ls / float(1 << sh) * 2.0 ** scale, (h, w)))
    c[rng.random((h, w)) > rng.uniform(0.05, 1.0)] = 0
    if h > 32 or w > 32:
        c[32:, :] = 0  # forward_dct2's zero-out (dq_quantize reads the coded region only anyway)
        c[:, 32:] = 0
    c = np.clip(c, -32768, 32767)
    coef = c.astype(np.float64) if as_float else c.astype(np.int32)
    lam = float(0.57 * 2.0 ** ((qp - 12) / 3.0) * rng.uniform(0.3, 3.0))
    got = dq_quantize(coef, qp, bd, c_idx, lam, ctx, passes)
    want = _old_dq_quantize(coef, qp, bd, c_idx, lam, ctx, passes)
    assert got.dtype == want.dtype == np.int32 and got.shape == want.shape and np.array_equal(got, want)
    tl = trans_levels(got)
    assert tl.dtype == np.int32 and tl.shape == (h, w) and np.array_equal(tl, _old_trans_levels(got))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.floats(0.0, 1.0),
       st.sampled_from((np.int32, np.int64)))
def test_trans_levels_equals_the_old_wrapper(seed, h, w, density, dtype):
    rng = np.random.default_rng(seed)
    lv = np.round(rng.laplace(0, rng.uniform(0.3, 20), (h, w))).astype(dtype)
    lv[rng.random((h, w)) > density] = 0
    lv[32:, :] = 0
    lv[:, 32:] = 0
    got = trans_levels(lv)
    assert got.dtype == np.int32 and got.shape == (h, w) and np.array_equal(got, _old_trans_levels(lv))
