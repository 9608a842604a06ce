"""Rate-distortion optimised quantisation (informative, encoder only; HM-style, simplified).

For each coefficient, in the coder's reverse scan order, the levels {round(|c|/step), one less,
and 0 for small ones} are compared by D + lambda * R: D is the pixel-domain squared error (the
coefficient error times the transform's energy gain), R the bins of sig/gt1/par/gt3 under the
current context states (read-only) with contexts from the already-decided neighbours, plus the
Rice-coded remainder and the sign. Then the last significant position is chosen by the same cost.
The regular-bin budget and sb_coded_flag are ignored in the estimate.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import contexts as C
from .cabac import _COST0, _COST1
from .quant import _scale_params
from .residual_coding import _RICE, ZERO_OUT, _last_prefix, last_ctx, tables, zero_out_levels
from .transform import inverse_dct2


@lru_cache(maxsize=None)
def _energy_gain(h: int, w: int, bd: int) -> float:
    """Pixel-domain SSD per squared unit of scaled-coefficient error (DCT-II is orthogonal)."""
    d = np.zeros((h, w), dtype=np.int32)
    d[min(h, ZERO_OUT) // 2, min(w, ZERO_OUT) // 2] = 4096  # a coefficient the transform reads
    r = inverse_dct2(d, bd).astype(np.float64)
    return float((r * r).sum()) / 4096.0 ** 2


def _abs_bits(value: int, rice: int) -> float:
    q = value >> rice
    if q < 6:
        return q + 1 + rice
    s = value - (6 << rice)
    k = rice + 1
    pre = 0
    while pre < 11 and s >= ((2 << pre) - 1) << k:
        pre += 1
    return 6 + (pre + 15 if pre == 11 else 2 * pre + 1 + k)


def rdoq(coeffs: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, ctx) -> np.ndarray:
    """Levels (h, w) int32 for the scaled coefficients ``coeffs`` (forward_dct2 output); a 64-sample
    side gets levels in its first 32 positions only (the DCT-II zero-out)."""
    h, w = coeffs.shape
    ls, bd_shift = _scale_params(coeffs.shape, qp, bd)
    step = ls / float(1 << bd_shift)
    gain = _energy_gain(h, w, bd)
    log2s = (w.bit_length() - 1, h.bit_length() - 1)
    return zero_out_levels(coeffs, lambda c: _rdoq_region(c, step, gain, log2s, c_idx, lam, ctx))


def _rdoq_region(coeffs: np.ndarray, step: float, gain: float, log2s: tuple[int, int], c_idx: int,
                 lam: float, ctx) -> np.ndarray:
    """rdoq() of the coded (zero-out) region ``coeffs`` of a block of log2 sides ``log2s`` = (width,
    height), quantisation step ``step`` and energy gain ``gain``."""
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
                    r += _abs_bits((cand - 4) >> 1, _RICE[min(max(sr - 20, 0), 31)])
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
