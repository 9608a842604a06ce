"""The dependent-quantisation trellis kernel (dep_quant._viterbi): compiled equal to interpreted
(its ``py_func``), and dq_quantize() equal, level for level, to the trellis as it was before the
kernel (the Python of commit 53e7be4, kept below as the oracle), on hypothesis-random blocks,
context states, QPs, shapes, components and passes."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc import dep_quant
from ssgc_ref.vvc.cabac import _COST0, _COST1, ContextStates
from ssgc_ref.vvc.dep_quant import dq_quantize
from ssgc_ref.vvc.quant import COEFF_MAX, _scale_params
from ssgc_ref.vvc.rdoq import _abs_bits, _energy_gain
from ssgc_ref.vvc.residual_coding import _RICE, QSTATE_TRANS, _last_prefix, last_ctx, tables, zero_out_levels

SIDES = (4, 8, 16, 32)


# -- the oracle: the pre-kernel reference (dep_quant._trellis1 before the kernel, unchanged) --------
# the one copy of the old Python trellis, kept here only to check the kernel against it

_INF = math.inf
_KP_OFF = 0.5


@lru_cache(maxsize=None)
def _templates(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    T = tables(w, h)
    tm = np.full((w * h, 5), w * h, dtype=np.int64)
    for p, t in enumerate(T.tmpl):
        tm[p, :len(t)] = t
    return tm, np.array(T.diag, dtype=np.int64)


_SIG_DIAG = (np.array([8, 8, 4, 4, 4] + [0] * 60), np.array([4, 4] + [0] * 63))
_GTX_DIAG = (np.array([15, 10, 10] + [5] * 7 + [0] * 55), np.array([5] + [0] * 64))
_RICE_A = np.array(_RICE, dtype=np.int64)
_C0, _C1 = np.array(_COST0), np.array(_COST1)


def _ref_dq_quantize(coeffs, qp, bd, c_idx, lam, ctx, passes=1):
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd, True)
    delta = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)

    def trellis(c):
        kp = None
        out = np.zeros(c.shape, dtype=np.int32)
        for _ in range(passes):
            out = _ref_trellis1(c, delta, gain, log2s, c_idx, lam, ctx, kp)
            kp = np.abs(out).ravel()
        return out
    return zero_out_levels(coeffs, trellis)


def _ref_trellis1(coeffs: np.ndarray, delta: float, gain: float, log2s: tuple[int, int], c_idx: int,
              lam: float, ctx, kp: np.ndarray | None = None) -> np.ndarray:
    """dq_quantize() of the coded (zero-out) region ``coeffs`` of a block of log2 sides ``log2s``;
    ``kp``: the levels the context templates read (None: a rounding of the coefficients)."""
    hh, n = coeffs.shape
    T = tables(n, hh)
    flat = coeffs.ravel().astype(np.float64)
    mag = np.abs(flat)
    # the coefficient in units of Delta, capped so that TransCoeffLevel (2 k, 2 k - 1) stays <= 32767
    tq = np.minimum(mag / delta, 32765.0)
    sc = tq[T.scan]
    starts = np.flatnonzero(sc >= 1.0)  # a last position reconstructs at 2 Delta at least (QState 0)
    if starts.size == 0:
        return np.zeros((hh, n), dtype=np.int32)
    start_k = int(starts[-1])
    chroma = c_idx > 0
    # bits of a 0 / 1 bin of every context under the current states
    si = (np.asarray(ctx.s1) + (np.asarray(ctx.s0) << 4)) >> 5
    b0, b1 = _C0[si].tolist(), _C1[si].tolist()
    lam_inv = 1.0 / lam
    # per position: contexts from the neighbours' levels kp (the context templates of 9.3.4.2.5..8)
    if kp is None:
        kp = np.minimum(np.floor(tq * 0.5 + _KP_OFF), COEFF_MAX).astype(np.int64)
    tm, dg = _templates(n, hh)
    kpa = np.append(kp, 0)
    p1a = np.where(kpa < 4, kpa, 4 + (kpa & 1))
    nb = p1a[tm]
    ssum = nb.sum(axis=1)
    nsig = (nb > 0).sum(axis=1)
    sr = kpa[tm].sum(axis=1)
    ch = 1 if chroma else 0
    ci_sig_l = (C.SIG + 36 * ch + np.minimum((ssum + 1) >> 1, 3) + _SIG_DIAG[ch][dg]).tolist()
    inc_l = ((22 if chroma else 1) + np.minimum(ssum - nsig, 4) + _GTX_DIAG[ch][dg]).tolist()
    rice_l = _RICE_A[np.clip(sr - 20, 0, 31)].tolist()
    mag_l = mag.tolist()
    tq_l = tq.tolist()
    gl = gain * lam_inv
    zd_l = (gl * mag * mag).tolist()
    qs_step = 8 if chroma else 12
    gtx, par_c, gt3_c = C.GTX, C.PAR, C.GTX + 32

    def level_bits(k: int, inc: int, rice: int) -> float:
        """Bits of a level k >= 1 after its sig_coeff_flag: gt1, par, gt3, remainder, sign."""
        if k == 1:
            return b0[gtx + inc] + 1.0
        r = b1[gtx + inc] + (b1 if (k - 2) & 1 else b0)[par_c + inc] + 1.0
        if k >= 4:
            return r + b1[gt3_c + inc] + _abs_bits((k - 4) >> 1, rice)
        return r + b0[gt3_c + inc]

    # the last position's bins (as rdoq.py)
    (bx, ox, shx), (by, oy, shy) = ((C.LAST_X,) + last_ctx(log2s[0], chroma),
                                    (C.LAST_Y,) + last_ctx(log2s[1], chroma))
    cmx, cmy = 2 * T.log2w - 1, 2 * T.log2h - 1
    coord: dict[tuple[int, int], float] = {}

    def coord_bits(v: int, axis: int) -> float:
        r = coord.get((v, axis))
        if r is None:
            base, off, shift, cmax = (bx, ox, shx, cmx) if axis == 0 else (by, oy, shy, cmy)
            pre, _, sl = _last_prefix(v)
            r = 0.0
            for i in range(pre):
                r += b1[base + off + (i >> shift)]
            if pre < cmax:
                r += b0[base + off + (pre >> shift)]
            r = coord[(v, axis)] = r + sl
        return r

    # sb_coded_flag contexts from kp's coded sub-blocks
    rough_coded = (kp[T.scan].reshape(-1, 16) != 0).any(axis=1).tolist()  # T.scan runs sub-block by sub-block
    sb_base = C.SB_CODED + (2 if chroma else 0)
    linc = 21 if chroma else 0

    trans = QSTATE_TRANS
    cost_s = [_INF] * 4
    node_s: list = [None] * 4  # per state: its path's levels as a linked list (pos, k, parent)
    nz_s = [False] * 4  # per state: the path has a level in the current sub-block
    tail_zero = 0.0  # zero distortion of the positions after the current one (up to start_k)
    start_sb = start_k >> 4
    for i in range(start_sb, -1, -1):
        pos = T.sb_pos[i]
        top = (start_k & 15) if i == start_sb else 15
        skip = None
        if i > 0 and any(c < _INF for c in cost_s):
            r, b = T.sb_nb[i]
            ci = sb_base + (1 if (r is not None and rough_coded[r]) or (b is not None and rough_coded[b]) else 0)
            zsb = 0.0
            for m in range(top, -1, -1):
                zsb += zd_l[pos[m]]
            skip = [c + zsb + b0[ci] for c in cost_s], list(node_s)
            f1 = b1[ci]
            cost_s = [c + f1 for c in cost_s]
            nz_s = [False] * 4
        for m in range(top, -1, -1):
            p = pos[m]
            mg = mag_l[p]
            t = tq_l[p]
            zd = zd_l[p]
            ci_sig = ci_sig_l[p]
            inc = inc_l[p]
            rice = rice_l[p]
            # candidate levels: the two nearest of each quantiser (one of each parity), Q0 (QState
            # 0, 1) at 2k Delta, Q1 (2, 3) at (2k - 1) Delta, and zero
            ka = int(t * 0.5)
            kb = int((t + 1.0) * 0.5)  # ka or ka + 1
            lb: dict[int, float] = {}
            for k in (ka, ka + 1, kb + 1):
                if k and k not in lb:
                    lb[k] = level_bits(k, inc, rice)
            e = mg - 2 * (ka + 1) * delta
            d0 = [(gl * e * e, ka + 1)]
            if ka:
                e = mg - 2 * ka * delta
                d0.append((gl * e * e, ka))
            e = mg - (2 * kb + 1) * delta
            q1 = [(gl * e * e + lb[kb + 1], kb + 1)]
            if kb:
                e = mg - (2 * kb - 1) * delta
                q1.append((gl * e * e + lb[kb], kb))
            q0 = [(dd + lb[k], k) for dd, k in d0]
            nc = [_INF] * 4
            nn: list = [None] * 4
            nnz = [False] * 4
            for st in range(4):
                c = cost_s[st]
                if c == _INF:
                    continue
                ci = ci_sig + qs_step * (st - 1) if st > 1 else ci_sig
                tr = trans[st]
                j = c + zd + b0[ci]
                ts = tr[0]
                if j < nc[ts]:
                    nc[ts], nn[ts], nnz[ts] = j, node_s[st], nz_s[st]
                c += b1[ci]
                for dr, k in (q1 if st > 1 else q0):
                    j = c + dr
                    ts = tr[k & 1]
                    if j < nc[ts]:
                        nc[ts], nn[ts], nnz[ts] = j, (p, k, node_s[st]), True
            if t >= 1.0:  # a path whose last significant position is p (QState 0, no sig bin)
                lb_last = tail_zero + coord_bits(p % n, 0) + coord_bits(p // n, 1)
                for dd, k in d0:
                    j = lb_last + dd + level_bits(k, linc, rice)
                    ts = trans[0][k & 1]
                    if j < nc[ts]:
                        nc[ts], nn[ts], nnz[ts] = j, (p, k, None), True
            cost_s, node_s, nz_s = nc, nn, nnz
            tail_zero += zd
        if skip is not None:
            sk_cost, sk_node = skip
            for st in range(4):
                if not nz_s[st] or sk_cost[st] < cost_s[st]:
                    # a coded sub-block must hold a level: else the path skips it
                    cost_s[st], node_s[st] = sk_cost[st], sk_node[st]
                    nz_s[st] = True
    best = min(range(4), key=lambda st: cost_s[st])
    out = [0] * (n * hh)
    if cost_s[best] < tail_zero:  # else the all-zero block is cheaper (cbf = 0)
        nd = node_s[best]
        while nd is not None:
            p, k, nd = nd
            out[p] = k
    res = np.array(out, dtype=np.int64)
    return (np.where(flat < 0, -res, res)).reshape(hh, n).astype(np.int32)



# -- the checks -------------------------------------------------------------------------------------

def _random_states(rng: np.random.Generator, qp: int) -> ContextStates:
    """Random context states: uniform, or (half the time) most of them near certainty, as trained
    ones are (cheap zero flags: the trellis may then code an all-zero sub-block rather than skip)."""
    ctx = ContextStates(qp)
    n = len(ctx.s0)
    s0, s1 = rng.integers(0, 1024, n), rng.integers(0, 16384, n)
    if rng.random() < 0.5:
        edge = rng.random(n) < rng.uniform(0.3, 1.0)
        low = rng.random(n) < 0.5
        s0[edge] = np.where(low, rng.integers(0, 24, n), rng.integers(1000, 1024, n))[edge]
        s1[edge] = np.where(low, rng.integers(0, 384, n), rng.integers(16000, 16384, n))[edge]
    ctx.s0[:], ctx.s1[:] = s0, s1
    return ctx


def _random_coeffs(rng: np.random.Generator, h: int, w: int, kind: str, delta: float) -> np.ndarray:
    """Scaled coefficients (int32, -32768..32767) of one block: Laplacian with random density and
    a scale of 1/2 to 128 Delta, whole 4x4 sub-blocks zeroed ("sparse": the trellis' skips), tiny
    ones (below Delta: no level), or some saturated (huge levels near the 32765 cap at low QPs)."""
    if kind == "tiny":
        return np.round(rng.uniform(-0.99, 0.99, (h, w)) * delta).astype(np.int32)
    c = np.round(rng.laplace(0, delta * 2.0 ** rng.uniform(-1, 7), (h, w)))
    c[rng.random((h, w)) > rng.uniform(0.05, 1.0)] = 0
    if kind == "sparse":
        c *= 1 + 3 * np.exp(-np.add.outer(np.arange(h), np.arange(w)) / rng.uniform(1, 8))
        keep = rng.random((h // 4, w // 4)) < rng.uniform(0.1, 0.7)
        c *= np.kron(keep, np.ones((4, 4)))
    if kind == "huge":
        big = rng.random((h, w)) < rng.uniform(0.02, 0.5)
        c[big] = rng.choice([-32768, 32767, -32000, 31000], int(big.sum()))
    return np.clip(c, -32768, 32767).astype(np.int32)


_CASE = (st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.integers(0, 2),
         st.integers(-12, 63), st.sampled_from((8, 10)), st.sampled_from(("tiny", "laplace", "sparse", "huge")))


def _case(seed, h, w, c_idx, qp, bd, kind):
    qp = max(qp, -6 * (bd - 8))  # slice QPs from -QpBdOffset: 10 bits reach the 32765 cap
    rng = np.random.default_rng(seed)
    ctx = _random_states(rng, qp)
    ls, sh = _scale_params((h, w), qp, bd, True)
    coef = _random_coeffs(rng, h, w, kind, ls / float(1 << sh))
    lam = float(0.57 * 2.0 ** ((qp - 12) / 3.0) * rng.uniform(0.3, 3.0))
    return rng, ctx, coef, lam, qp


@settings(max_examples=150, deadline=None)
@given(*_CASE, st.sampled_from((1, 2)), st.integers(0, 5))
def test_dq_quantize_equals_the_pre_kernel_trellis(seed, h, w, c_idx, qp, bd, kind, passes, wide):
    if wide == 0:  # a 64-sample side: the 32-sample zero-out region, last_sig_coeff contexts of 64
        h, w = (64, w) if seed & 1 else (h, 64)
    rng, ctx, coef, lam, qp = _case(seed, h, w, c_idx, qp, bd, kind)
    s0, s1 = ctx.s0.copy(), ctx.s1.copy()
    got = dq_quantize(coef, qp, bd, c_idx, lam, ctx, passes)
    assert np.array_equal(ctx.s0, s0) and np.array_equal(ctx.s1, s1)  # the states are read-only
    want = _ref_dq_quantize(coef, qp, bd, c_idx, lam, ctx, passes)
    assert got.dtype == np.int32 and np.array_equal(got, want)


def _trellis_inputs(rng, h: int, w: int, qp: int, bd: int, given_kp: bool):
    """_trellis1's (delta, gain, log2 sides, kp): kp random levels, as a previous pass' would be, or None."""
    ls, sh = _scale_params((h, w), qp, bd, True)
    kp = None
    if given_kp:
        kp = np.abs(np.round(rng.laplace(0, rng.uniform(0.2, 30), h * w))).astype(np.int32)
        kp[rng.random(h * w) < rng.uniform(0, 1)] = 0
    return ls / float(1 << sh), _energy_gain(h, w, bd), (w.bit_length() - 1, h.bit_length() - 1), kp


@settings(max_examples=100, deadline=None)
@given(*_CASE, st.booleans())
def test_trellis1_equals_the_pre_kernel_one_with_given_template_levels(seed, h, w, c_idx, qp, bd, kind, given_kp):
    """One run with ``kp`` given (random levels, as a previous pass' would be) or None."""
    rng, ctx, coef, lam, qp = _case(seed, h, w, c_idx, qp, bd, kind)
    delta, gain, log2s, kp = _trellis_inputs(rng, h, w, qp, bd, given_kp)
    got = dep_quant._trellis1(coef, delta, gain, log2s, c_idx, lam, ctx, kp)
    want = _ref_trellis1(coef, delta, gain, log2s, c_idx, lam, ctx, kp)
    assert np.array_equal(got, want)


@pytest.mark.skipif(not hasattr(dep_quant._viterbi, "py_func"), reason="NUMBA_DISABLE_JIT=1: nothing compiled")
@settings(max_examples=40, deadline=None)
@given(*_CASE, st.booleans())
def test_kernel_equals_its_interpreted_function(seed, h, w, c_idx, qp, bd, kind, given_kp):
    rng, ctx, coef, lam, qp = _case(seed, h, w, c_idx, qp, bd, kind)
    delta, gain, log2s, kp = _trellis_inputs(rng, h, w, qp, bd, given_kp)
    calls = []
    kernel = dep_quant._viterbi

    class Both:  # _trellis1's call of the kernel, made twice: compiled and interpreted
        def __call__(self, *args):
            a, b = kernel(*args), kernel.py_func(*args)
            calls.append(np.array_equal(a, b) and a.dtype == b.dtype)
            return a

    dep_quant._viterbi = Both()
    try:
        dep_quant._trellis1(coef, delta, gain, log2s, c_idx, lam, ctx, kp)
    finally:
        dep_quant._viterbi = kernel
    assert calls == [True]


def test_all_below_the_threshold_and_the_cap():
    """Coefficients below Delta give no level (no path can start); saturated ones at QP 0 reach the
    32765 cap (levels 16383 / 16384) and agree with the oracle."""
    ctx = ContextStates(0)
    coef = np.full((8, 8), 1, dtype=np.int32)
    assert not dq_quantize(coef, 40, 8, 0, 50.0, ctx).any()
    coef = np.full((32, 16), 32767, dtype=np.int32)
    coef[::3, ::2] = -32768
    got = dq_quantize(coef, -12, 10, 1, 1e-3, ctx)  # Delta = 720 / 2^11 (qP 0 + 1, 10 bits)
    assert np.array_equal(got, _ref_dq_quantize(coef, -12, 10, 1, 1e-3, ctx))
    assert np.abs(got).max() >= 16383


@pytest.mark.skipif(not hasattr(dep_quant._qstate_walk, "py_func"), reason="NUMBA_DISABLE_JIT=1: nothing compiled")
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.floats(0.0, 1.0))
def test_qstate_walk_kernel_equals_its_interpreted_function(seed, h, w, density):
    """trans_levels' walk (also checked against a walk written from the spec in test_vvc_dq.py)."""
    rng = np.random.default_rng(seed)
    lv = np.round(rng.laplace(0, rng.uniform(0.5, 50), (h, w))).astype(np.int64)
    lv[rng.random((h, w)) > density] = 0
    lv *= np.kron(rng.random((h // 4, w // 4)) < 0.6, np.ones((4, 4), dtype=np.int64))  # uncoded sub-blocks
    args = (lv.ravel(), tables(w, h).scan, dep_quant._TRANS)
    a, b = dep_quant._qstate_walk(*args), dep_quant._qstate_walk.py_func(*args)
    assert a.dtype == b.dtype == np.int32 and np.array_equal(a, b)
