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
with two, at 2.2-2.5x / 3.6-4.9x RDOQ's CPU time.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import contexts as C
from .cabac import _COST0, _COST1
from .quant import COEFF_MAX, _scale_params, dequantize
from .rdoq import _abs_bits, _energy_gain
from .residual_coding import _RICE, QSTATE_TRANS, _last_prefix, last_ctx, tables, zero_out, zero_out_levels

__all__ = ["dq_dequantize", "dq_quantize", "trans_levels"]

_INF = math.inf


def trans_levels(levels: np.ndarray) -> np.ndarray:
    """TransCoeffLevel (h, w) int32 of the coded levels k (h, w) of one block, by the decoder's QState
    walk (7.3.11.11); a 64-sample side's levels past 32 must be zero (the DCT-II zero-out)."""
    region, _, _ = zero_out(levels)
    hh, n = region.shape
    T = tables(n, hh)
    flat = region.ravel().tolist()
    out = [0] * (n * hh)
    scan_k = np.flatnonzero(region.ravel()[T.scan])
    if scan_k.size:
        last_k = int(scan_k[-1])
        last_sb = last_k >> 4
        qs = 0
        for i in range(last_sb, -1, -1):
            pos = T.sb_pos[i]
            if 0 < i < last_sb and not any(flat[p] for p in pos):
                continue  # sb_coded_flag 0: QState unchanged
            for m in range((last_k & 15) if i == last_sb else 15, -1, -1):
                p = pos[m]
                v = flat[p]
                if v:
                    a = -v if v < 0 else v
                    t = 2 * a - (1 if qs > 1 else 0)
                    out[p] = -t if v < 0 else t
                    qs = QSTATE_TRANS[qs][a & 1]
                else:
                    qs = QSTATE_TRANS[qs][0]
    res = np.zeros(levels.shape, dtype=np.int32)
    res[:hh, :n] = np.array(out, dtype=np.int32).reshape(hh, n)
    return res


def dq_dequantize(levels: np.ndarray, qp: int, bit_depth: int) -> np.ndarray:
    """Scaled coefficients d of the coded levels k of one block with sh_dep_quant_used_flag = 1."""
    return dequantize(trans_levels(levels), qp, bit_depth, dep_quant=True)


def dq_quantize(coeffs: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, ctx, passes: int = 1) -> np.ndarray:
    """Coded levels k (h, w) int32 for the scaled coefficients ``coeffs`` (forward_dct2 or LFNST
    output) under dependent quantisation, chosen by the trellis with rates from the context states
    ``ctx`` (read-only); a 64-sample side gets levels in its first 32 positions only. ``passes`` > 1
    runs the trellis again with the context templates reading the previous run's levels
    (benchmarks/dq_trellis.py: D + lambda R 0.3-2.1% lower for 1.7-1.9x the time)."""
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd, True)
    delta = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _trellis(c, delta, gain, log2s, c_idx, lam, ctx, passes))


# the context templates of the first pass read the levels k = floor(|c| / (2 Delta) + _KP_OFF)
_KP_OFF = 0.5


@lru_cache(maxsize=None)
def _templates(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions (w * h, 5) of each position's template, index w * h = none; diagonal x + y)."""
    T = tables(w, h)
    tm = np.full((w * h, 5), w * h, dtype=np.int64)
    for p, t in enumerate(T.tmpl):
        tm[p, :len(t)] = t
    return tm, np.array(T.diag, dtype=np.int64)


_SIG_DIAG = (np.array([8, 8, 4, 4, 4] + [0] * 60), np.array([4, 4] + [0] * 63))  # luma, chroma by x + y
_GTX_DIAG = (np.array([15, 10, 10] + [5] * 7 + [0] * 55), np.array([5] + [0] * 64))
_RICE_A = np.array(_RICE, dtype=np.int64)
_C0, _C1 = np.array(_COST0), np.array(_COST1)


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

