"""Dependent quantisation (H.266 sh_dep_quant_used_flag): the decoder's level mapping (normative)
and the encoder's trellis quantiser (informative).

With dependent quantisation a block carries levels k (what residual_coding() codes) and two scalar
quantisers share a step Delta = levelScale(qP + 1) / 2^(bdShift + 1) (quant.dequantize with
``dep_quant``): in QState 0 and 1 a level reconstructs to the even multiple 2 * k * Delta, in QState 2
and 3 to the odd one (2 * |k| - 1) * Delta (with the sign), i.e. TransCoeffLevel = (2 * |k| -
(QState > 1)) * sign. QState starts at 0 in every block and moves after each level by the parity of
|k| (residual_coding.QSTATE_TRANS) in coding order: from the last significant position down to
position 0, through every sub-block whose sb_coded_flag is 1 (inferred or coded); a sub-block
with sb_coded_flag 0 leaves it unchanged (FFmpeg's residual_coding_subblock, VVdeC likewise).

:func:`dq_quantize` chooses the levels by a Viterbi search over the four states (the approach of
VTM's DepQuant, simplified): per coefficient the candidates are zero and the two nearest levels of
the quantiser of each state, costed D + lambda * R with D the pixel-domain squared error (the
coefficient error times the transform's energy gain) and R the sig/gt1/par/gt3 bins under the
given context states (read-only) plus the Rice remainder and the sign. Approximations: the context
templates (sig_coeff_flag sum, gt1 offset, Rice parameter) read the neighbours' levels of a plain
rounding of the coefficients (or, in a second pass, of the first pass's choice) instead of each
path's own decisions; the coded-sub-block flag's context reads the same levels; the regular-bin
budget and the inferred DC flag of a coded sub-block are ignored. Sub-blocks may be skipped
(sb_coded_flag 0, the state unchanged); a path that codes a sub-block must leave a level in it.
The last significant position is part of the search (each position may start a path in state 0,
paying its last_sig_coeff bins). benchmarks/dq_trellis.py (luma blocks 4x16..32x32 of astronaut, QP
27 and 37): D + lambda R with the real rate 0.0-2.5% below RDOQ's (rdoq.py) with one pass, 0.6-3.0%
with two, at 0.09-0.33x / 0.10-0.35x the CPU time of RDOQ in Python (1.8-2.1x / 3.3-4.0x with the
trellis in Python too).

The search over one block is one compiled kernel (jit.kernel) on array tables of the coded region;
its paths are back-pointers per scan position and state (and per sub-block for the skips) instead
of linked lists. ``NUMBA_DISABLE_JIT=1`` runs the same function in CPython.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import contexts as C
from .cabac import COST0, COST1
from .jit import kernel
from .quant import _scale_params, dequantize
from .rdoq import _CODES, _abs_bits, _energy_gain, _last_terms_sum
from .residual_coding import QSTATE_TRANS, last_params, tables, zero_out, zero_out_levels

__all__ = ["dq_dequantize", "dq_quantize", "trans_levels"]

def trans_levels(levels: np.ndarray) -> np.ndarray:
    """TransCoeffLevel (h, w) int32 of the coded levels k (h, w) of one block, by the decoder's QState
    walk (7.3.11.11); a 64-sample side's levels past 32 must be zero (the DCT-II zero-out)."""
    h, w = levels.shape
    if h <= 32 and w <= 32:  # no zero-out: the kernel's output is the block (fewer Python layers)
        return _qstate_walk(np.ascontiguousarray(levels, dtype=np.int64).ravel(), tables(w, h).scan,
                            _TRANS).reshape(h, w)
    region, _, _ = zero_out(levels)
    hh, n = region.shape
    out = _qstate_walk(np.asarray(region, dtype=np.int64).ravel(), tables(n, hh).scan, _TRANS)
    res = np.zeros(levels.shape, dtype=np.int32)
    res[:hh, :n] = out.reshape(hh, n)
    return res


@kernel
def _qstate_walk(flat, scan, trans):
    """trans_levels() of the coded region ``flat`` (int64, raster) with scan order ``scan``
    (sub-block by sub-block): integer arithmetic only."""
    size = flat.shape[0]
    out = np.zeros(size, dtype=np.int32)
    last_k = -1
    for k in range(size - 1, -1, -1):
        if flat[scan[k]] != 0:
            last_k = k
            break
    if last_k < 0:
        return out
    last_sb = last_k >> 4
    qs = 0
    for i in range(last_sb, -1, -1):
        if 0 < i < last_sb:
            coded = False
            for m in range(16):
                if flat[scan[16 * i + m]] != 0:
                    coded = True
                    break
            if not coded:
                continue  # sb_coded_flag 0: QState unchanged
        for m in range((last_k & 15) if i == last_sb else 15, -1, -1):
            p = scan[16 * i + m]
            v = flat[p]
            if v:
                a = -v if v < 0 else v
                t = 2 * a - (1 if qs > 1 else 0)
                out[p] = -t if v < 0 else t
                qs = trans[qs, a & 1]
            else:
                qs = trans[qs, 0]
    return out


def dq_dequantize(levels: np.ndarray, qp: int, bit_depth: int) -> np.ndarray:
    """Scaled coefficients d of the coded levels k of one block with sh_dep_quant_used_flag = 1."""
    return dequantize(trans_levels(levels), qp, bit_depth, dep_quant=True)


def dq_quantize(coeffs: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, ctx, passes: int = 1) -> np.ndarray:
    """Coded levels k (h, w) int32 for the scaled coefficients ``coeffs`` (forward_dct2 or LFNST
    output) under dependent quantisation, chosen by the trellis with rates from the context states
    ``ctx`` (read-only); a 64-sample side gets levels in its first 32 positions only. ``passes`` > 1
    runs the trellis again with the context templates reading the previous run's levels
    (benchmarks/dq_trellis.py: D + lambda R 0.3-2.1% lower for 1.06-1.2x the time)."""
    h, w = coeffs.shape
    if h <= 32 and w <= 32 and passes >= 1:
        # the common case, as _trellis / _trellis1 below but with the per-shape values cached
        chroma = c_idx > 0
        delta, gain, scan, tm, dg, sb_nb, last = _dq_params(h, w, qp, bd, chroma)
        flat = np.ascontiguousarray(coeffs, dtype=np.float64).ravel()  # read-only in _viterbi
        lam = float(lam)
        kp = _NO_KP
        for p in range(passes):
            if p:
                kp = np.abs(out).astype(np.int64)  # the templates read the previous pass' levels
            out = _viterbi(flat, w, delta, gain, lam, chroma, kp, ctx.s0, ctx.s1, COST0, COST1, scan, tm, dg,
                           sb_nb, last, _CTX, _TRANS, _SIG_DIAG, _GTX_DIAG, _CODES)
        return out.reshape(h, w)
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd, True)
    delta = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _trellis(c, delta, gain, log2s, c_idx, lam, ctx, passes))


# context offsets by x + y (row 0 luma, row 1 chroma): sig_coeff_flag's and abs_level_gtx_flag's
_SIG_DIAG = np.array([[8, 8, 4, 4, 4] + [0] * 60, [4, 4] + [0] * 63], dtype=np.int64)
_GTX_DIAG = np.array([[15, 10, 10] + [5] * 7 + [0] * 55, [5] + [0] * 64], dtype=np.int64)
_TRANS = np.array(QSTATE_TRANS, dtype=np.int64)
# the kernel's context indices
_CTX = np.array([C.SIG, C.GTX, C.PAR, C.SB_CODED], dtype=np.int64)
_NO_KP = np.zeros(0, dtype=np.int64)


@lru_cache(maxsize=None)
def _dq_params(h: int, w: int, qp: int, bd: int, chroma: bool):
    """(Delta, energy gain, scan, templates, diagonals, sub-block neighbours, last_params) of an
    h x w block (both sides <= 32) for dq_quantize's fast path: the values _trellis1 computes."""
    ls, bd_shift = _scale_params((h, w), qp, bd, True)
    T = tables(w, h)
    last = last_params(w.bit_length() - 1, h.bit_length() - 1, chroma, w.bit_length() - 1, h.bit_length() - 1)
    return (float(ls / float(1 << bd_shift)), float(_energy_gain(h, w, bd)), T.scan, T.tmpl_a, T.diag_a,
            T.sb_nb_a, last)


def _trellis(coeffs: np.ndarray, delta: float, gain: float, log2s: tuple[int, int], c_idx: int, lam: float,
             ctx, passes: int) -> np.ndarray:
    """``passes`` runs of the trellis, each after the first with the context templates reading the
    levels of the one before."""
    kp = None
    out = np.zeros(coeffs.shape, dtype=np.int32)
    for _ in range(passes):
        out = _trellis1(coeffs, delta, gain, log2s, c_idx, lam, ctx, kp)
        kp = np.abs(out).ravel()
    return out


def _trellis1(coeffs: np.ndarray, delta: float, gain: float, log2s: tuple[int, int], c_idx: int,
              lam: float, ctx, kp: np.ndarray | None = None) -> np.ndarray:
    """dq_quantize() of the coded (zero-out) region ``coeffs`` of a block of log2 sides ``log2s``;
    ``kp``: the levels the context templates read (None: a rounding of the coefficients)."""
    hh, n = coeffs.shape
    T = tables(n, hh)
    chroma = c_idx > 0
    last = last_params(log2s[0], log2s[1], chroma, n.bit_length() - 1, hh.bit_length() - 1)
    kpa = _NO_KP if kp is None else np.asarray(kp, dtype=np.int64)
    out = _viterbi(coeffs.ravel().astype(np.float64), n, float(delta), float(gain), float(lam), chroma, kpa,
                   ctx.s0, ctx.s1, COST0, COST1, T.scan, T.tmpl_a, T.diag_a, T.sb_nb_a, last, _CTX, _TRANS,
                   _SIG_DIAG, _GTX_DIAG, _CODES)
    return out.reshape(hh, n)


@kernel
def _level_bits(k: int, inc: int, rice: int, b0: np.ndarray, b1: np.ndarray, gtx: int, par_c: int) -> float:
    """Bits of a level k >= 1 after its sig_coeff_flag: gt1, par, gt3, remainder, sign."""
    if k == 1:
        return b0[gtx + inc] + 1.0
    r = b1[gtx + inc] + (b1[par_c + inc] if (k - 2) & 1 else b0[par_c + inc]) + 1.0
    if k >= 4:
        return r + b1[gtx + 32 + inc] + _abs_bits((k - 4) >> 1, rice)
    return r + b0[gtx + 32 + inc]


@kernel
def _viterbi(flat, n, delta, gain, lam, chroma, kp_in, s0, s1, cost0, cost1, scan, tm, dg, sb_nb, last, ctxs,
             trans, sig_diag, gtx_diag, codes):
    """Signed levels k (raster, int32) of the coded region ``flat`` (float64, raster, width ``n``):
    the four-state Viterbi search. Paths are kept as back-pointers: per scan position and state
    reached, the state it came from (-1: the path starts here, the last significant position) and
    the level chosen; per sub-block and state, whether the path skips the sub-block (its path is then
    the same state's path before it)."""
    size = flat.shape[0]
    hh = size // n
    out = np.zeros(size, dtype=np.int32)
    mag = np.empty(size)
    tq = np.empty(size)
    for p in range(size):
        m = abs(flat[p])
        mag[p] = m
        # the coefficient in units of Delta, capped so that TransCoeffLevel (2 k, 2 k - 1) <= 32767
        tq[p] = min(m / delta, 32765.0)
    start_k = -1  # a last position reconstructs at 2 Delta at least (QState 0)
    for k in range(size - 1, -1, -1):
        if tq[scan[k]] >= 1.0:
            start_k = k
            break
    if start_k < 0:
        return out
    ch = 1 if chroma else 0
    sig0, gtx, par_c, sb_base = ctxs[0] + 36 * ch, ctxs[1], ctxs[2], ctxs[3] + 2 * ch
    # bits of a 0 / 1 bin of every context under the current states
    nctx = s0.shape[0]
    b0 = np.empty(nctx)
    b1 = np.empty(nctx)
    for ci in range(nctx):
        si = (s1[ci] + (s0[ci] << 4)) >> 5
        b0[ci] = cost0[si]
        b1[ci] = cost1[si]
    lam_inv = 1.0 / lam
    gl = gain * lam_inv
    zd = np.empty(size)
    for p in range(size):
        zd[p] = gl * mag[p] * mag[p]
    # the levels the context templates read (9.3.4.2.5..8), and their pass-1 values; index size = none.
    # The first pass reads the rounding k = floor(|c| / (2 Delta) + 1/2).
    kpa = np.zeros(size + 1, dtype=np.int64)
    if kp_in.shape[0] == 0:
        for p in range(size):
            kpa[p] = np.int64(min(np.floor(tq[p] * 0.5 + 0.5), 32767.0))
    else:
        for p in range(size):
            kpa[p] = kp_in[p]
    p1a = np.zeros(size + 1, dtype=np.int64)
    for p in range(size):
        v = kpa[p]
        p1a[p] = v if v < 4 else 4 + (v & 1)
    # sb_coded_flag contexts read kp's coded sub-blocks
    nsb = size >> 4
    rough = np.zeros(nsb, dtype=np.bool_)
    for i in range(nsb):
        for m in range(16):
            if kpa[scan[16 * i + m]] != 0:
                rough[i] = True
                break
    # the last position's bins: prefix bins then suffix length, per coordinate (as rdoq.py)
    cxy = np.zeros((2, 32))
    for axis in range(2):
        base, shift, cmax = last[3 * axis], last[3 * axis + 1], last[3 * axis + 2]
        for v in range(n if axis == 0 else hh):
            cxy[axis, v] = _last_terms_sum(0.0, v, base, shift, cmax, s0, s1, cost0, cost1, codes)
    qs_step = 8 if chroma else 12
    linc = 21 if chroma else 0
    inc0 = 22 if chroma else 1
    cost = np.full(4, np.inf)
    nz = np.zeros(4, dtype=np.bool_)  # per state: the path has a level in the current sub-block
    nc = np.empty(4)
    nnz = np.zeros(4, dtype=np.bool_)
    sk = np.empty(4)
    src = np.full((start_k + 1, 4), -2, dtype=np.int8)
    lev = np.zeros((start_k + 1, 4), dtype=np.int32)
    start_sb = start_k >> 4
    skipped = np.zeros((start_sb + 1, 4), dtype=np.bool_)
    dk = np.zeros(2, dtype=np.int64)  # candidates of Q0 (d0: distortion only, q0: with bits) and Q1
    d0 = np.zeros(2)
    q0 = np.zeros(2)
    qk1 = np.zeros(2, dtype=np.int64)
    q1 = np.zeros(2)
    tail_zero = 0.0  # zero distortion of the positions after the current one (up to start_k)
    for i in range(start_sb, -1, -1):
        top = (start_k & 15) if i == start_sb else 15
        has_skip = False
        if i > 0 and (cost[0] < np.inf or cost[1] < np.inf or cost[2] < np.inf or cost[3] < np.inf):
            right, below = sb_nb[i, 0], sb_nb[i, 1]
            ci = sb_base + (1 if (right >= 0 and rough[right]) or (below >= 0 and rough[below]) else 0)
            zsb = 0.0
            for m in range(top, -1, -1):
                zsb += zd[scan[16 * i + m]]
            for st in range(4):
                sk[st] = cost[st] + zsb + b0[ci]
            f1 = b1[ci]
            for st in range(4):
                cost[st] = cost[st] + f1
                nz[st] = False
            has_skip = True
        for m in range(top, -1, -1):
            k = 16 * i + m
            p = scan[k]
            mg = mag[p]
            t = tq[p]
            zdp = zd[p]
            ssum = 0
            nsig = 0
            sr = 0
            for j in range(5):
                q = tm[p, j]
                v = p1a[q]
                ssum += v
                if v > 0:
                    nsig += 1
                sr += kpa[q]
            d = dg[p]
            ci_sig = sig0 + min((ssum + 1) >> 1, 3) + sig_diag[ch, d]
            inc = inc0 + min(ssum - nsig, 4) + gtx_diag[ch, d]
            rice = codes[0, min(max(sr - 20, 0), 31)]
            # candidate levels: the two nearest of each quantiser (one of each parity), Q0 (QState
            # 0, 1) at 2k Delta, Q1 (2, 3) at (2k - 1) Delta, and zero
            ka = int(t * 0.5)
            kb = int((t + 1.0) * 0.5)  # ka or ka + 1
            e = mg - 2 * (ka + 1) * delta
            dk[0] = ka + 1
            d0[0] = gl * e * e
            n0 = 1
            if ka:
                e = mg - 2 * ka * delta
                dk[1] = ka
                d0[1] = gl * e * e
                n0 = 2
            e = mg - (2 * kb + 1) * delta
            qk1[0] = kb + 1
            q1[0] = gl * e * e + _level_bits(kb + 1, inc, rice, b0, b1, gtx, par_c)
            n1 = 1
            if kb:
                e = mg - (2 * kb - 1) * delta
                qk1[1] = kb
                q1[1] = gl * e * e + _level_bits(kb, inc, rice, b0, b1, gtx, par_c)
                n1 = 2
            for j in range(n0):
                q0[j] = d0[j] + _level_bits(dk[j], inc, rice, b0, b1, gtx, par_c)
            for st in range(4):
                nc[st] = np.inf
                nnz[st] = False
            for st in range(4):
                c = cost[st]
                if c == np.inf:
                    continue
                ci = ci_sig + qs_step * (st - 1) if st > 1 else ci_sig
                jc = c + zdp + b0[ci]
                ts = trans[st, 0]
                if jc < nc[ts]:
                    nc[ts] = jc
                    src[k, ts] = st
                    lev[k, ts] = 0
                    nnz[ts] = nz[st]
                c += b1[ci]
                # the candidates of this state's quantiser: Q1 (QState 2, 3) or Q0 (0, 1)
                qc, qk, nq = (q1, qk1, n1) if st > 1 else (q0, dk, n0)
                for j in range(nq):
                    jc = c + qc[j]
                    ts = trans[st, qk[j] & 1]
                    if jc < nc[ts]:
                        nc[ts] = jc
                        src[k, ts] = st
                        lev[k, ts] = qk[j]
                        nnz[ts] = True
            if t >= 1.0:  # a path whose last significant position is p (QState 0, no sig bin)
                lb_last = tail_zero + cxy[0, p % n] + cxy[1, p // n]
                for j in range(n0):
                    jc = lb_last + d0[j] + _level_bits(dk[j], linc, rice, b0, b1, gtx, par_c)
                    ts = trans[0, dk[j] & 1]
                    if jc < nc[ts]:
                        nc[ts] = jc
                        src[k, ts] = -1
                        lev[k, ts] = dk[j]
                        nnz[ts] = True
            for st in range(4):
                cost[st] = nc[st]
                nz[st] = nnz[st]
            tail_zero += zdp
        if has_skip:
            for st in range(4):
                if not nz[st] or sk[st] < cost[st]:
                    # a coded sub-block must hold a level: else the path skips it
                    cost[st] = sk[st]
                    skipped[i, st] = True
                    nz[st] = True
    best = 0
    for st in range(1, 4):
        if cost[st] < cost[best]:
            best = st
    if not cost[best] < tail_zero:  # the all-zero block is cheaper (cbf = 0)
        return out
    # follow the back-pointers from position 0 up to the path's start
    st = best
    for i in range(start_sb + 1):
        if skipped[i, st]:
            continue  # the state is the same before the skipped sub-block
        top = (start_k & 15) if i == start_sb else 15
        for m in range(top + 1):
            k = 16 * i + m
            lv = lev[k, st]
            if lv:
                p = scan[k]
                out[p] = -lv if flat[p] < 0 else lv
            s = src[k, st]
            if s < 0:
                return out
            st = s
    return out
