"""The encoder's fast paths equal their slow references exactly (same floats, same states, same
decisions): the compiled residual rate estimate against the per-bin RateEstimator, the cached-index
intra prediction against the step-by-step one, the DCT-II's compiled loops and float64 (BLAS)
products against integer matrix products, the compiled quantiser and small-block reconstruction
against their numpy formulas."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc.block_coding import reconstruct
from ssgc_ref.vvc.cabac import ContextStates, RateEstimator
from ssgc_ref.vvc.dep_quant import trans_levels
from ssgc_ref.vvc.quant import _scale_params, dequantize, quantize
from ssgc_ref.vvc.intra_pred import ReferenceSamples, predict_from_refs, predict_reference
from ssgc_ref.vvc.residual_coding import SBH_THRESHOLD, code_residual, tables
from ssgc_ref.vvc.transform import dct2_matrix, forward_dct2, inverse_dct2

SIDES = (4, 8, 16, 32)


class _PerBin(RateEstimator):
    """A RateEstimator that code_residual does not recognise: every bin goes through its methods."""


def _random_states(rng: np.random.Generator, qp: int) -> ContextStates:
    ctx = ContextStates(qp)
    ctx.s0[:] = rng.integers(0, 1024, len(ctx.s0)).tolist()
    ctx.s1[:] = rng.integers(0, 16384, len(ctx.s1)).tolist()
    return ctx


def _random_levels(rng: np.random.Generator, h: int, w: int, density: float, scale: float) -> np.ndarray:
    lv = np.round(rng.laplace(0, scale, (h, w))).astype(np.int32)
    lv[rng.random((h, w)) > density] = 0
    if rng.random() < 0.1:
        lv[rng.integers(h), rng.integers(w)] = int(rng.choice([-1, 1])) * int(rng.integers(100, 32767))
    if not lv.any():
        lv[rng.integers(h), rng.integers(w)] = 1
    return lv


def _obey_sign_hiding(lv: np.ndarray) -> None:
    """Flip the sign at firstSigScanPosSb where the sub-block's parity says otherwise."""
    h, w = lv.shape
    for pos in tables(w, h).sb_pos:
        a = lv.ravel()[pos]
        nz = np.flatnonzero(a)
        if nz.size and nz[-1] - nz[0] >= SBH_THRESHOLD and (a[nz[0]] < 0) != bool(np.abs(a).sum() & 1):
            lv.flat[pos[nz[0]]] *= -1


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.integers(0, 2),
       st.floats(0.02, 1.0), st.floats(0.3, 20.0), st.integers(0, 63), st.sampled_from(("", "sdh", "dq")))
def test_residual_bits_equals_per_bin_estimator(seed, h, w, c_idx, density, scale, qp, tool):
    rng = np.random.default_rng(seed)
    ctx = _random_states(rng, qp)
    lv = _random_levels(rng, h, w, density, scale)
    sdh, dq = tool == "sdh", tool == "dq"  # sign data hiding, dependent quantisation (QState paths)
    if sdh:
        _obey_sign_hiding(lv)
    fast, slow = RateEstimator(ctx.copy()), _PerBin(ctx.copy())
    fast.bits = slow.bits = float(rng.random() * 100)
    code_residual(fast, lv, c_idx, sdh, dq)
    code_residual(slow, lv, c_idx, sdh, dq)
    assert fast.bits == slow.bits
    assert np.array_equal(fast.ctx.s0, slow.ctx.s0) and np.array_equal(fast.ctx.s1, slow.ctx.s1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.sampled_from(("random", "smooth", "flat")))
def test_predict_from_refs_equals_reference(seed, h, w, bd, kind):
    rng = np.random.default_rng(seed)
    n = 2 * (w + h) + 1
    if kind == "random":
        line = rng.integers(0, 1 << bd, n)
    elif kind == "smooth":
        line = np.clip(np.cumsum(rng.integers(-6, 7, n)) + (1 << (bd - 1)), 0, (1 << bd) - 1)
    else:
        line = np.full(n, int(rng.integers(0, 1 << bd)))
    refs = ReferenceSamples(top=line[2 * h + 1:].astype(np.int64), left=line[:2 * h][::-1].astype(np.int64),
                            corner=int(line[2 * h]))
    for c_idx in (0, 1):
        for mode in range(67):
            a = predict_from_refs(refs, w, h, mode, c_idx, bd)
            b = predict_reference(refs, w, h, mode, c_idx, bd)
            assert a.dtype == b.dtype == np.int32
            assert np.array_equal(a, b), (mode, c_idx)


def _forward_int(x: np.ndarray, bd: int) -> np.ndarray:
    """forward_dct2 in int64 products only."""
    h, w = x.shape
    s1, s2 = (w.bit_length() - 1) + bd - 9, (h.bit_length() - 1) + 6
    t = x.astype(np.int64) @ dct2_matrix(w).T
    t = (t + (1 << (s1 - 1))) >> s1 if s1 > 0 else t << -s1
    c = (dct2_matrix(h) @ t + (1 << (s2 - 1))) >> s2
    c[32:, :] = 0
    c[:, 32:] = 0
    return np.clip(c, -32768, 32767)


def _inverse_int(d: np.ndarray, bd: int) -> np.ndarray:
    """inverse_dct2 in int64 products only (8.7.4.2 with the zero-out, 8.7.2's rounding)."""
    h, w = d.shape
    zh, zw = min(h, 32), min(w, 32)
    e = dct2_matrix(h)[:zh].T @ d.astype(np.int64)[:zh, :zw]
    g = np.clip((e + 64) >> 7, -32768, 32767)
    s = 20 - bd
    return (g @ dct2_matrix(w)[:zw] + (1 << (s - 1))) >> s


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES + (64,)), st.sampled_from(SIDES + (64,)),
       st.sampled_from((8, 10, 12)), st.booleans())
def test_dct2_fast_paths_equal_integer_products(seed, h, w, bd, extreme):
    """The fast paths (the compiled loops up to 512 samples, the float64 products above), over the
    residual and coefficient ranges they accept, extremes included, give the integer matrix
    products' result exactly."""
    rng = np.random.default_rng(seed)
    m = (1 << bd) - 1
    x = rng.integers(-m, m + 1, (h, w))
    d = rng.integers(-32768, 32768, (h, w))
    if extreme:
        x = np.where(rng.random((h, w)) < 0.5, m, -m)
        d = np.where(rng.random((h, w)) < 0.5, 32767, -32768)
    np.testing.assert_array_equal(forward_dct2(x, bd), _forward_int(x, bd))
    np.testing.assert_array_equal(inverse_dct2(d, bd), _inverse_int(d, bd))


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.integers(0, 63), st.booleans(), st.floats(0.5, 3000.0))
def test_compiled_quantiser_and_reconstruction_equal_numpy_formulas(seed, h, w, bd, qp, dq, scale):
    rng = np.random.default_rng(seed)
    coef = np.clip(np.round(rng.laplace(0, scale, (h, w))), -32768, 32767).astype(np.int32)
    ls, sh = _scale_params((h, w), qp, bd)
    for den, dz in ((3, True), (2, False)):
        mag = np.abs(coef.astype(np.int64)) << sh
        expect = np.sign(coef) * np.minimum((den * mag + ls) // (den * ls), 32767)
        np.testing.assert_array_equal(quantize(coef, qp, bd, intra_deadzone=dz), expect)
    levels = np.clip(np.round(rng.laplace(0, scale / 8, (h, w))), -32768, 32767).astype(np.int32)
    levels[0, 0] = levels[0, 0] or 1
    pred = rng.integers(0, 1 << bd, (h, w)).astype(np.int32)
    tl = trans_levels(levels) if dq else levels
    d = dequantize(tl, qp, bd, dep_quant=dq)
    expect = np.clip(pred + _inverse_int(d, bd), 0, (1 << bd) - 1)
    got = reconstruct(levels, pred, qp, bd, None, dq)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expect)
