"""Rate-distortion optimised quantisation (informative, encoder only; HM-style, simplified).

For each coefficient, in the coder's reverse scan order, the levels {round(|c|/step), one less,
and 0 for small ones} are compared by D + lambda * R: D is the pixel-domain squared error (the
coefficient error times the transform's energy gain), R the bins of sig/gt1/par/gt3 under the
current context states (read-only) with contexts from the already-decided neighbours, plus the
Rice-coded remainder and the sign. Then the last significant position is chosen by the same cost.
The regular-bin budget and sb_coded_flag are ignored in the estimate.

The per-coefficient walk is one compiled kernel (jit.kernel) on array tables of the coded region
(scan, templates, diagonals); ``NUMBA_DISABLE_JIT=1`` runs the same function in CPython.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import contexts as C
from .cabac import COST0, COST1
from .jit import kernel
from .quant import _scale_params
from .residual_coding import LAST_PRE, LAST_SL, RICE_A, ZERO_OUT, last_params, tables, zero_out_levels
from .transform import inverse_dct2


@lru_cache(maxsize=None)
def _energy_gain(h: int, w: int, bd: int) -> float:
    """Pixel-domain SSD per squared unit of scaled-coefficient error (DCT-II is orthogonal)."""
    d = np.zeros((h, w), dtype=np.int32)
    d[min(h, ZERO_OUT) // 2, min(w, ZERO_OUT) // 2] = 4096  # a coefficient the transform reads
    r = inverse_dct2(d, bd).astype(np.float64)
    return float((r * r).sum()) / 4096.0 ** 2


@kernel
def _abs_bits(value: int, rice: int) -> int:
    """Bins of abs_remainder ``value`` with Rice parameter ``rice`` (residual_coding._write_abs)."""
    q = value >> rice
    if q < 6:
        return q + 1 + rice
    s = value - (6 << rice)
    k = rice + 1
    pre = 0
    while pre < 11 and s >= ((2 << pre) - 1) << k:
        pre += 1
    return 6 + (pre + 15 if pre == 11 else 2 * pre + 1 + k)


# columns of _shape_table(w, h), one row per raster position p (the scan column by scan index)
_T_TMPL = 0  # 0..4: the template's neighbours of p, padded with w*h (an always-zero level entry)
_T_DIAG = 5  # x + y of p
_T_SCAN = 6  # the raster position at scan index p


@lru_cache(maxsize=None)
def _shape_table(w: int, h: int) -> np.ndarray:
    """residual_coding.tables(w, h) as one (w*h, 7) int64 array for the kernel (columns _T_*)."""
    T = tables(w, h)
    tab = np.empty((w * h, 7), dtype=np.int64)
    tab[:, _T_TMPL:_T_TMPL + 5] = T.tmpl_a
    tab[:, _T_DIAG] = T.diag_a
    tab[:, _T_SCAN] = T.scan
    return tab


# rows: the Rice parameter by clipped template sum (Table 128); the last_sig_coeff prefix and the
# suffix length of a coordinate 0..31 (residual_coding._last_prefix)
_CODES = np.stack([RICE_A, LAST_PRE, LAST_SL])


@lru_cache(maxsize=None)
def _kernel_tables(w: int, h: int, log2w_tb: int, log2h_tb: int, chroma: bool) -> tuple[np.ndarray, np.ndarray]:
    """(_shape_table(w, h), the block's parameters [chroma, then per coordinate x, y: the first
    last_sig_coeff prefix context + ctxOffset, ctxShift, cMax]) of a coded region w x h of a block
    of log2 sides log2w_tb, log2h_tb."""
    last = last_params(log2w_tb, log2h_tb, chroma, w.bit_length() - 1, h.bit_length() - 1)
    return _shape_table(w, h), np.concatenate([[int(chroma)], last])


def rdoq(coeffs: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, ctx) -> np.ndarray:
    """Levels (h, w) int32 for the scaled coefficients ``coeffs`` (forward_dct2 output); a 64-sample
    side gets levels in its first 32 positions only (the DCT-II zero-out)."""
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd)
    step = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _region_levels(c, step, gain, log2s, c_idx, lam, ctx))


def _region_levels(coeffs: np.ndarray, step: float, gain: float, log2s: tuple[int, int], c_idx: int,
                   lam: float, ctx) -> np.ndarray:
    """rdoq() of the coded (zero-out) region ``coeffs`` of a block of log2 sides ``log2s`` = (width,
    height), quantisation step ``step`` and energy gain ``gain``: the shapes and tables around
    :func:`_rdoq_region`."""
    hh, n = coeffs.shape  # n: width (the raster stride)
    tab, blk = _kernel_tables(n, hh, log2s[0], log2s[1], c_idx > 0)
    # C order: one compiled specialisation, also for a 64-sample side's region (a view)
    return _rdoq_region(np.ascontiguousarray(coeffs), step, gain, lam, ctx.s0, ctx.s1, COST0, COST1, tab,
                        _CODES, blk)


@kernel
def _ctx_index(s0: np.ndarray, s1: np.ndarray, ci: int) -> int:
    """Row of the bit-cost tables for context ``ci``'s probability (RateEstimator.bin)."""
    return (s1[ci] + (s0[ci] << 4)) >> 5


@kernel
def _last_terms_sum(r: float, v: int, base: int, shift: int, cmax: int, s0: np.ndarray, s1: np.ndarray,
                    c0: np.ndarray, c1: np.ndarray, codes: np.ndarray) -> float:
    """``r`` plus, one addition each in this order, the costs of coordinate ``v``'s last_sig_coeff
    prefix bins (contexts from ``base`` = the syntax element's first context + ctxOffset) and its
    suffix length."""
    pre = codes[1, v]
    for i in range(pre):
        r += c1[_ctx_index(s0, s1, base + (i >> shift))]
    if pre < cmax:
        r += c0[_ctx_index(s0, s1, base + (pre >> shift))]
    return r + codes[2, v]


@kernel
def _rdoq_region(coeffs: np.ndarray, step: float, gain: float, lam: float, s0: np.ndarray, s1: np.ndarray,
                 c0: np.ndarray, c1: np.ndarray, tab: np.ndarray, codes: np.ndarray, blk: np.ndarray) -> np.ndarray:
    """Levels (hh, n) int32 of the coded region ``coeffs`` (hh, n): context states ``s0``/``s1``
    (read only), bit costs ``c0``/``c1``, the tables of _kernel_tables and _CODES."""
    hh, n = coeffs.shape
    size = hh * n
    chroma = blk[0] != 0
    bx, shx, cmx, by, shy, cmy = blk[1], blk[2], blk[3], blk[4], blk[5], blk[6]
    mag = np.empty(size, dtype=np.float64)
    l0 = np.empty(size, dtype=np.int64)
    neg = np.zeros(size, dtype=np.bool_)
    for y in range(hh):
        for x in range(n):
            c = float(coeffs[y, x])
            m = abs(c)
            q = m / step + 0.5
            p = y * n + x
            neg[p] = c < 0
            mag[p] = m
            l0[p] = 32767 if q >= 32767.0 else int(q)  # floor (q > 0), clipped to the TransCoeffLevel range
    out = np.zeros(size, dtype=np.int32)
    last_k = -1
    for k in range(size - 1, -1, -1):
        if l0[tab[k, _T_SCAN]]:
            last_k = k
            break
    if last_k < 0:
        return out.reshape(hh, n)
    sig_base = C.SIG + (36 if chroma else 0)
    gtx, par_c, gt3_c = C.GTX, C.PAR, C.GTX + 32
    pass1 = np.zeros(size + 1, dtype=np.int64)  # entry ``size``: the templates' padding, always 0
    absl = np.zeros(size + 1, dtype=np.int64)
    lam_inv = 1.0 / lam
    # per scan position: cost (in bits-equivalent units D/lam + R) of the chosen level and of zero
    chosen_j = np.zeros(last_k + 1, dtype=np.float64)
    zero_d = np.zeros(last_k + 1, dtype=np.float64)
    sigbits1 = np.zeros(last_k + 1, dtype=np.float64)  # sig_coeff_flag = 1 cost (saved when last)
    for k in range(last_k, -1, -1):
        p = tab[k, _T_SCAN]
        m = mag[p]
        lv = l0[p]
        zd = gain * m * m * lam_inv
        zero_d[k] = zd
        d = tab[p, _T_DIAG]
        s = 0
        ns = 0
        sr = 0
        for j in range(5):
            t = tab[p, _T_TMPL + j]
            v = pass1[t]
            if v:
                s += v
                ns += 1
            sr += absl[t]
        sg = min((s + 1) >> 1, 3)
        if chroma:
            ci = sig_base + sg + (4 if d < 2 else 0)
        else:
            ci = sig_base + sg + (8 if d < 2 else (4 if d < 5 else 0))
        i_sig = _ctx_index(s0, s1, ci)
        if lv == 0:
            chosen_j[k] = zd + c0[i_sig]
            continue
        o = min(s - ns, 4)
        if chroma:
            inc = 22 + o + (5 if d == 0 else 0)
        else:
            inc = 1 + o + (15 if d == 0 else (10 if d < 3 else (5 if d < 10 else 0)))
        best_j = zd + c0[i_sig]
        best_l = 0
        sig1 = c1[i_sig]
        i_gt1 = _ctx_index(s0, s1, gtx + inc)
        for dc in range(2):
            cand = lv - dc
            if cand <= 0:
                continue
            if cand > 1:
                r = sig1 + 1.0 + c1[i_gt1]
                i = _ctx_index(s0, s1, par_c + inc)
                i3 = _ctx_index(s0, s1, gt3_c + inc)
                r += (c1[i] if (cand - 2) & 1 else c0[i]) + (c1[i3] if cand >= 4 else c0[i3])
                if cand >= 4:
                    r += _abs_bits((cand - 4) >> 1, codes[0, min(max(sr - 20, 0), 31)])
            else:
                r = sig1 + 1.0 + c0[i_gt1]
            e = m - cand * step
            jc = gain * e * e * lam_inv + r
            if jc < best_j:
                best_j = jc
                best_l = cand
        if lv > 2 and best_l == 0:
            best_l = lv - 1
            e = m - best_l * step
            best_j = gain * e * e * lam_inv + sig1 + 3.0
        chosen_j[k] = best_j
        sigbits1[k] = sig1
        out[p] = best_l
        if best_l:
            absl[p] = best_l
            pass1[p] = best_l if best_l < 4 else 4 + (best_l & 1)
    # choose the last significant position: its cost is the prefix sum of chosen_j (sequential
    # additions from scan position 0) less its sig_coeff_flag, plus the zeros past it, plus its
    # last_sig_coeff bins (0.0 + the x terms, then the y terms, one addition each)
    prefix = np.empty(last_k + 1, dtype=np.float64)
    acc = 0.0
    for k in range(last_k + 1):
        acc += chosen_j[k]
        prefix[k] = acc
    xpart = np.zeros(n, dtype=np.float64)
    have_x = np.zeros(n, dtype=np.bool_)
    tail_zero = 0.0  # sum of zero_d beyond the candidate last
    best_total = 0.0
    best_last = -1
    for k in range(last_k, -1, -1):
        p = tab[k, _T_SCAN]
        if out[p]:
            vx, vy = p % n, p // n
            if not have_x[vx]:
                xpart[vx] = _last_terms_sum(0.0, vx, bx, shx, cmx, s0, s1, c0, c1, codes)
                have_x[vx] = True
            lb = _last_terms_sum(xpart[vx], vy, by, shy, cmy, s0, s1, c0, c1, codes)
            total = prefix[k] - sigbits1[k] + tail_zero + lb
            if best_last < 0 or total < best_total:
                best_total = total
                best_last = k
        tail_zero += zero_d[k]
    if best_last < 0 or tail_zero <= best_total:  # all-zero block is cheaper (cbf = 0)
        out[:] = 0
        return out.reshape(hh, n)
    for k in range(best_last + 1, last_k + 1):
        out[tab[k, _T_SCAN]] = 0
    for p in range(size):
        if neg[p]:
            out[p] = -out[p]
    return out.reshape(hh, n)
