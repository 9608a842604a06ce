"""residual_coding() for non-transform-skip blocks (H.266 §7.3.11.11) with the context selection of
§9.3.4.2.4..9.3.4.2.8 and the binarisations of §9.3.3; sign data hiding (sign_hiding.py) or
dependent quantisation (dep_quant.py) optional.

``code_residual(sink, levels, c_idx, sign_hiding)`` writes one transform block's TransCoeffLevel array to a
:class:`~ssgc_ref.vvc.cabac.CabacWriter` or a :class:`~ssgc_ref.vvc.cabac.RateEstimator`.
Blocks are 4..64 on each side (square or not), so sub-blocks are 4x4. A 64-sample side has the
DCT-II zero-out (log2ZoTbWidth/Height = Min(log2TbWidth/Height, 5)): its coefficients past 32 are
zero and not coded; the last position's prefixes have cMax (log2ZoTb << 1) - 1 but the context
offset and shift of the real side (9.3.4.2.4); everything after them (sub-blocks, scan,
remBinsPass1, templates) is that of the top-left zero-out region, which the coders here take as the
block.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import contexts as C
from .cabac import COST0, COST1, ContextStates, RateEstimator
from .jit import kernel
from .transform import ZERO_OUT  # the DCT-II zero-out size of a 64-sample side

# Rice parameter from the clipped template sum (Table 128)
_RICE = [0] * 7 + [1] * 7 + [2] * 14 + [3] * 4
_LAST_OFF_LUMA = (0, 0, 3, 6, 10, 15)
_LAST_SHIFT_CHROMA = (0, 0, 0, 1, 2, 2, 2)
MAX_PRE_EXT_LEN = 11  # 26 - log2TransformRange (15)
ESCAPE_LEN = 15  # log2TransformRange
SBH_THRESHOLD = 4  # lastSigScanPosSb - firstSigScanPosSb from which a sub-block's sign is hidden
# dependent quantisation: QState after a level of parity 0 / 1 (7.4.11.11, QStateTransTable); QState
# starts at 0 in each block, runs through coded sub-blocks in coding order and stays put across a
# sub-block whose sb_coded_flag is 0
QSTATE_TRANS = ((0, 2), (2, 0), (1, 3), (3, 1))


def diag_scan(w: int, h: int) -> list[tuple[int, int]]:
    """Up-right diagonal scan order (§6.5.3): list of (x, y)."""
    out = []
    for d in range(w + h - 1):
        for y in range(min(d, h - 1), -1, -1):
            x = d - y
            if x < w:
                out.append((x, y))
    return out


class _Tables:
    """Scan positions and templates of a w x h block (w, h = 4..32): 4x4 sub-blocks."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.log2w = w.bit_length() - 1
        self.log2h = h.bit_length() - 1
        self.sb_scan = diag_scan(w >> 2, h >> 2)  # (xs, ys)
        inner = diag_scan(4, 4)
        self.sb_pos = []  # per sub-block: raster indices of its 16 coefficients in scan order
        for xs, ys in self.sb_scan:
            self.sb_pos.append([(4 * ys + y) * w + 4 * xs + x for x, y in inner])
        self.scan = np.array([p for sb in self.sb_pos for p in sb], dtype=np.int64)
        self.diag = [(p % w) + (p // w) for p in range(w * h)]
        self.tmpl = []
        for p in range(w * h):
            x, y = p % w, p // w
            t = []
            if x < w - 1:
                t.append(p + 1)
                if x < w - 2:
                    t.append(p + 2)
                if y < h - 1:
                    t.append(p + w + 1)
            if y < h - 1:
                t.append(p + w)
                if y < h - 2:
                    t.append(p + 2 * w)
            self.tmpl.append(tuple(t))
        # neighbours (right, below) of each sub-block in the sub-block grid, by scan index
        idx = {xy: i for i, xy in enumerate(self.sb_scan)}
        self.sb_nb = []
        for xs, ys in self.sb_scan:
            self.sb_nb.append((idx.get((xs + 1, ys)), idx.get((xs, ys + 1))))
        # the same as arrays, for the compiled kernels: templates (w * h, 5) padded with w * h (an
        # entry the kernels keep at zero), x + y, sub-block positions (n_sb, 16) and neighbours
        # (n_sb, 2; -1 = none)
        self.tmpl_a = np.full((w * h, 5), w * h, dtype=np.int64)
        for p, t in enumerate(self.tmpl):
            self.tmpl_a[p, :len(t)] = t
        self.diag_a = np.array(self.diag, dtype=np.int64)
        self.sb_pos_a = np.array(self.sb_pos, dtype=np.int64)
        self.sb_nb_a = np.array([[-1 if r is None else r, -1 if b is None else b] for r, b in self.sb_nb],
                                dtype=np.int64).reshape(-1, 2)
        for a in (self.scan, self.tmpl_a, self.diag_a, self.sb_pos_a, self.sb_nb_a):
            a.setflags(write=False)


@lru_cache(maxsize=None)
def tables(w: int, h: int) -> _Tables:
    return _Tables(w, h)


def last_ctx(log2: int, chroma: bool) -> tuple[int, int]:
    """(ctxOffset, ctxShift) of last_sig_coeff_x/y_prefix for a TB side of 2^log2 (§9.3.4.2.4)."""
    if chroma:
        return 20, _LAST_SHIFT_CHROMA[log2]
    return _LAST_OFF_LUMA[log2 - 1], (log2 + 1) >> 2


def zero_out(levels: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(the coded region of ``levels``, log2TbWidth, log2TbHeight of the whole block): the top-left
    Min(side, 32) samples of each side; the levels past them must be zero."""
    h, w = levels.shape
    log2w, log2h = w.bit_length() - 1, h.bit_length() - 1
    if w <= ZERO_OUT and h <= ZERO_OUT:
        return levels, log2w, log2h
    if levels[ZERO_OUT:, :].any() or levels[:, ZERO_OUT:].any():
        raise ValueError(f"{w}x{h} block has levels outside its 32-sample zero-out region")
    return levels[:ZERO_OUT, :ZERO_OUT], log2w, log2h


def zero_out_levels(coeffs: np.ndarray, region_levels) -> np.ndarray:
    """Levels (h, w) int32 of a block of coefficients ``coeffs`` from ``region_levels`` (a quantiser
    of the coded region: its top-left Min(side, 32) coefficients -> their levels); zero past it."""
    h, w = coeffs.shape
    if w <= ZERO_OUT and h <= ZERO_OUT:
        return region_levels(coeffs)
    out = np.zeros((h, w), dtype=np.int32)
    out[:ZERO_OUT, :ZERO_OUT] = region_levels(coeffs[:ZERO_OUT, :ZERO_OUT])
    return out


def _last_prefix(v: int) -> tuple[int, int, int]:
    """(prefix, suffix, suffix length) of a last significant coefficient coordinate (§7.4.11.11)."""
    if v < 4:
        return v, 0, 0
    p = 2 * (v.bit_length() - 1)  # min value of prefix p: (1 << ((p>>1)-1)) * (2 + (p&1))
    if v >= 3 << ((p >> 1) - 1):
        p += 1
    base = (1 << ((p >> 1) - 1)) * (2 + (p & 1))
    return p, v - base, (p >> 1) - 1


def _write_abs(sink, value: int, rice: int) -> None:
    """abs_remainder / dec_abs_level binarisation (§9.3.3.11): TR prefix (cMax 6 << rice) and,
    past it, a limited k-th order Exp-Golomb suffix with k = rice + 1 (§9.3.3.6)."""
    q = value >> rice
    if q < 6:
        sink.bypass_bits(((1 << q) - 1) << 1, q + 1)  # q ones and a zero
        if rice:
            sink.bypass_bits(value & ((1 << rice) - 1), rice)
        return
    sink.bypass_bits(63, 6)
    s = value - (6 << rice)
    k = rice + 1
    pre = 0
    while pre < MAX_PRE_EXT_LEN and s >= ((2 << pre) - 1) << k:
        pre += 1
    if pre == MAX_PRE_EXT_LEN:
        sink.bypass_bits((1 << pre) - 1, pre)
        sink.bypass_bits(s - (((1 << pre) - 1) << k), ESCAPE_LEN)
    else:
        sink.bypass_bits(((1 << pre) - 1) << 1, pre + 1)
        sink.bypass_bits(s - (((1 << pre) - 1) << k), pre + k)


def code_residual(sink, levels: np.ndarray, c_idx: int, sign_hiding: bool = False,
                  dep_quant: bool = False) -> None:
    """Code one non-zero block of TransCoeffLevel (int, shape (h, w), 4..64 each, |level| < 32768,
    zero past 32 on a 64-sample side); ``sign_hiding`` = sh_sign_data_hiding_used_flag (the levels
    must then obey its parity rule); ``dep_quant`` = sh_dep_quant_used_flag: ``levels`` are then the
    coded levels k (AbsLevel with the sign; TransCoeffLevel is dep_quant.trans_levels(k)), the
    sig_coeff_flag contexts and dec_abs_level's ZeroPos follow QState.

    A :class:`~ssgc_ref.vvc.cabac.RateEstimator` sink takes the equivalent inlined path
    (:func:`residual_bits`); any other sink gets every bin through its methods."""
    if sign_hiding and dep_quant:
        raise ValueError("sign data hiding and dependent quantisation exclude each other")
    if type(sink) is RateEstimator:
        sink.bits = residual_bits(sink.ctx, levels, c_idx, sink.bits, sign_hiding, dep_quant)
        return
    levels, log2w_tb, log2h_tb = zero_out(levels)
    h, n = levels.shape  # n: width (the raster stride) of the coded region
    T = tables(n, h)
    flat = levels.ravel()
    absl = np.abs(flat).tolist()
    sc = flat[T.scan]
    nz = np.flatnonzero(sc)
    last_k = int(nz[-1])
    last_sb, last_n = last_k >> 4, last_k & 15
    last_p = int(T.scan[last_k])
    lx, ly = last_p % n, last_p // n
    chroma = c_idx > 0
    px, sx, lsx = _last_prefix(lx)
    py, sy, lsy = _last_prefix(ly)
    binf = sink.bin
    for base, pref, log2, log2_zo in ((C.LAST_X, px, log2w_tb, T.log2w), (C.LAST_Y, py, log2h_tb, T.log2h)):
        off, shift = last_ctx(log2, chroma)
        cmax = 2 * log2_zo - 1
        for i in range(pref):
            binf(base + off + (i >> shift), 1)
        if pref < cmax:
            binf(base + off + (pref >> shift), 0)
    if lsx:
        sink.bypass_bits(sx, lsx)
    if lsy:
        sink.bypass_bits(sy, lsy)

    budget = (n * h * 7) >> 2
    pass1 = [0] * (n * h)
    csbf = [0] * len(T.sb_scan)
    tmpl, diag = T.tmpl, T.diag
    sig_base = C.SIG + (36 if chroma else 0)
    sb_base = C.SB_CODED + (2 if chroma else 0)
    qs = 0  # QState (dep_quant)
    qs_step = 8 if chroma else 12  # sig_coeff_flag ctxInc per Max(0, QState - 1)
    for i in range(last_sb, -1, -1):
        pos = T.sb_pos[i]
        if 0 < i < last_sb:
            coded = 1 if any(absl[p] for p in pos) else 0
            r, b = T.sb_nb[i]
            inc = (1 if (r is not None and csbf[r]) or (b is not None and csbf[b]) else 0)
            binf(sb_base + inc, coded)
            infer_dc = True
        else:
            coded = 1
            infer_dc = False
        csbf[i] = coded
        if not coded:
            continue
        start = last_n if i == last_sb else 15
        nn = start
        while nn >= 0 and budget >= 4:
            p = pos[nn]
            a = absl[p]
            is_last = i == last_sb and nn == last_n
            if is_last:
                sig = 1
            elif nn == 0 and infer_dc:
                sig = 1
            else:
                s = 0
                for q in tmpl[p]:
                    s += pass1[q]
                d = diag[p]
                s = (s + 1) >> 1
                if s > 3:
                    s = 3
                if chroma:
                    ci = sig_base + s + (4 if d < 2 else 0)
                else:
                    ci = sig_base + s + (8 if d < 2 else (4 if d < 5 else 0))
                if qs > 1:
                    ci += qs_step * (qs - 1)
                sig = 1 if a else 0
                binf(ci, sig)
                budget -= 1
                if sig:
                    infer_dc = False
            if sig:
                if is_last:
                    inc = 21 if chroma else 0
                else:
                    s = 0
                    ns = 0
                    for q in tmpl[p]:
                        v = pass1[q]
                        if v:
                            s += v
                            ns += 1
                    o = s - ns
                    if o > 4:
                        o = 4
                    d = diag[p]
                    if chroma:
                        inc = 22 + o + (5 if d == 0 else 0)
                    else:
                        inc = 1 + o + (15 if d == 0 else (10 if d < 3 else (5 if d < 10 else 0)))
                gt1 = 1 if a > 1 else 0
                binf(C.GTX + inc, gt1)
                budget -= 1
                if gt1:
                    par = (a - 2) & 1
                    gt3 = 1 if a >= 4 else 0
                    binf(C.PAR + inc, par)
                    binf(C.GTX + 32 + inc, gt3)
                    budget -= 2
                    pass1[p] = 2 + par + 2 * gt3
                else:
                    pass1[p] = 1
            if dep_quant:
                qs = QSTATE_TRANS[qs][a & 1]
            nn -= 1
        first_mode1 = nn
        for m in range(start, first_mode1, -1):
            p = pos[m]
            a = absl[p]
            if a >= 4:
                s = 0
                for q in tmpl[p]:
                    s += absl[q]
                s -= 20
                rice = _RICE[0 if s < 0 else (31 if s > 31 else s)]
                _write_abs(sink, (a - pass1[p]) >> 1, rice)
        for m in range(first_mode1, -1, -1):
            p = pos[m]
            a = absl[p]
            s = 0
            for q in tmpl[p]:
                s += absl[q]
            rice = _RICE[31 if s > 31 else s]
            zero = (1 if qs < 2 else 2) << rice  # ZeroPos (qs stays 0 without dep_quant)
            _write_abs(sink, zero if a == 0 else (a - 1 if a <= zero else a), rice)
            if dep_quant:
                qs = QSTATE_TRANS[qs][a & 1]
        sig_m = [m for m in range(start, -1, -1) if absl[pos[m]]]
        hidden = sign_hiding and bool(sig_m) and sig_m[0] - sig_m[-1] >= SBH_THRESHOLD
        if hidden and (flat[pos[sig_m[-1]]] < 0) != (sum(absl[p] for p in pos) & 1 == 1):
            raise ValueError(f"sub-block {i}: the hidden sign disagrees with the parity of its levels")
        for m in (sig_m[:-1] if hidden else sig_m):
            sink.bypass(1 if flat[pos[m]] < 0 else 0)


def residual_bits(ctx: ContextStates, levels: np.ndarray, c_idx: int, bits: float,
                  sign_hiding: bool = False, dep_quant: bool = False) -> float:
    """``bits`` plus the RateEstimator code length of code_residual(levels, c_idx, ...), updating the
    context states ``ctx`` like it: the same bins, contexts and additions in the same order (so
    the float result is identical), compiled (_bits_kernel; the encoder's hot path)."""
    levels, log2w_tb, log2h_tb = zero_out(levels)
    h, n = levels.shape  # n: width (the raster stride) of the coded region
    T = tables(n, h)
    chroma = c_idx > 0
    return _bits_kernel(ctx.s0, ctx.s1, ctx.r0, ctx.r1, COST0, COST1, levels.ravel(), n,
                        last_params(log2w_tb, log2h_tb, chroma, T.log2w, T.log2h), chroma, sign_hiding,
                        dep_quant, float(bits), T.scan, T.sb_pos_a, T.sb_nb_a, T.tmpl_a, T.diag_a)


@lru_cache(maxsize=None)
def last_params(log2w_tb: int, log2h_tb: int, chroma: bool, log2w: int, log2h: int) -> np.ndarray:
    """(first context, ctxShift, cMax) of last_sig_coeff_x_prefix, then of _y_prefix, for the
    compiled kernels: the context offset and shift of the block's sides (log2w_tb, log2h_tb), cMax
    of the coded region's (log2w, log2h) (9.3.4.2.4)."""
    ox, shx = last_ctx(log2w_tb, chroma)
    oy, shy = last_ctx(log2h_tb, chroma)
    a = np.array([C.LAST_X + ox, shx, 2 * log2w - 1, C.LAST_Y + oy, shy, 2 * log2h - 1], dtype=np.int64)
    a.setflags(write=False)
    return a


RICE_A = np.array(_RICE, dtype=np.int64)  # _RICE as an array (the kernels')
# last_sig_coeff prefix and suffix length of a coordinate 0..31 (_last_prefix)
LAST_PRE = np.array([_last_prefix(v)[0] for v in range(ZERO_OUT)], dtype=np.int64)
LAST_SL = np.array([_last_prefix(v)[2] for v in range(ZERO_OUT)], dtype=np.int64)
_QS_NEXT = np.array([t for pair in QSTATE_TRANS for t in pair], dtype=np.int64)  # [2 * QState + parity]


@kernel
def _ctx_bin(s0, s1, r0, r1, c0, c1, ci, b, bits):
    """One regular bin's cost added to ``bits`` and its context updated (RateEstimator.bin)."""
    a0 = s0[ci]
    a1 = s1[ci]
    z0 = r0[ci]
    z1 = r1[ci]
    if b:
        bits += c1[(a1 + (a0 << 4)) >> 5]
        s0[ci] = a0 - (a0 >> z0) + (1023 >> z0)
        s1[ci] = a1 - (a1 >> z1) + (16383 >> z1)
    else:
        bits += c0[(a1 + (a0 << 4)) >> 5]
        s0[ci] = a0 - (a0 >> z0)
        s1[ci] = a1 - (a1 >> z1)
    return bits


@kernel
def _abs_add(bits, value, rice):
    """``bits`` after the bypass_bits() calls of _write_abs(), added one call at a time."""
    q = value >> rice
    if q < 6:
        bits += q + 1
        if rice:
            bits += rice
        return bits
    bits += 6
    s = value - (6 << rice)
    k = rice + 1
    pre = 0
    while pre < MAX_PRE_EXT_LEN and s >= ((2 << pre) - 1) << k:
        pre += 1
    if pre == MAX_PRE_EXT_LEN:
        bits += pre
        bits += ESCAPE_LEN
    else:
        bits += pre + 1
        bits += pre + k
    return bits


@kernel
def _last_bits(s0, s1, r0, r1, c0, c1, base, shift, cmax, v, bits):
    """The last_sig_coeff prefix bins of coordinate ``v`` (contexts base + (i >> shift), truncated
    unary with cMax ``cmax``); returns the bits and the suffix's length (its bypass bins)."""
    pre = LAST_PRE[v]
    stop = pre + 1 if pre < cmax else pre
    for i in range(stop):
        bits = _ctx_bin(s0, s1, r0, r1, c0, c1, base + (i >> shift), 1 if i < pre else 0, bits)
    return bits, LAST_SL[v]


@kernel
def _bits_kernel(s0, s1, r0, r1, c0, c1, flat, n, last, chroma, sign_hiding, dep_quant, bits, scan, sb_pos,
                 sb_nb, tmpl, diag):
    """residual_bits() of the coded region ``flat`` (raster, width n); ``last``: last_params()."""
    size = flat.shape[0]
    absl = np.zeros(size + 1, dtype=np.int64)  # entry ``size``: the templates' "no neighbour"
    for p in range(size):
        v = flat[p]
        absl[p] = -v if v < 0 else v
    last_k = -1
    for k in range(size - 1, -1, -1):
        if absl[scan[k]]:
            last_k = k
            break
    if last_k < 0:
        raise ValueError("residual_bits: a block without a non-zero level has no residual_coding()")
    last_sb, last_n = last_k >> 4, last_k & 15
    last_p = scan[last_k]
    bits, lsx = _last_bits(s0, s1, r0, r1, c0, c1, last[0], last[1], last[2], last_p % n, bits)
    bits, lsy = _last_bits(s0, s1, r0, r1, c0, c1, last[3], last[4], last[5], last_p // n, bits)
    if lsx:
        bits += lsx
    if lsy:
        bits += lsy

    budget = (size * 7) >> 2
    pass1 = np.zeros(size + 1, dtype=np.int64)
    csbf = np.zeros(sb_pos.shape[0], dtype=np.int64)
    sig_base = C.SIG + (36 if chroma else 0)
    sb_base = C.SB_CODED + (2 if chroma else 0)
    gtx, par_c, gt3_c = C.GTX, C.PAR, C.GTX + 32
    qs = 0  # QState (dep_quant)
    qs_step = 8 if chroma else 12
    for i in range(last_sb, -1, -1):
        infer_dc = False
        coded = 1
        if 0 < i < last_sb:
            coded = 0
            for m in range(16):
                if absl[sb_pos[i, m]]:
                    coded = 1
                    break
            r, b = sb_nb[i, 0], sb_nb[i, 1]
            ci = sb_base + (1 if (r >= 0 and csbf[r]) or (b >= 0 and csbf[b]) else 0)
            bits = _ctx_bin(s0, s1, r0, r1, c0, c1, ci, coded, bits)
            infer_dc = True
        csbf[i] = coded
        if not coded:
            continue
        start = last_n if i == last_sb else 15
        nn = start
        while nn >= 0 and budget >= 4:
            p = sb_pos[i, nn]
            a = absl[p]
            is_last = i == last_sb and nn == last_n
            sig = 1
            if not is_last and not (nn == 0 and infer_dc):
                s = 0
                for t in range(5):
                    s += pass1[tmpl[p, t]]
                d = diag[p]
                s = (s + 1) >> 1
                if s > 3:
                    s = 3
                if chroma:
                    ci = sig_base + s + (4 if d < 2 else 0)
                else:
                    ci = sig_base + s + (8 if d < 2 else (4 if d < 5 else 0))
                if qs > 1:
                    ci += qs_step * (qs - 1)
                sig = 1 if a else 0
                if a:
                    infer_dc = False
                bits = _ctx_bin(s0, s1, r0, r1, c0, c1, ci, sig, bits)
                budget -= 1
            if sig:
                if is_last:
                    inc = 21 if chroma else 0
                else:
                    s = 0
                    ns = 0
                    for t in range(5):
                        v = pass1[tmpl[p, t]]
                        if v:
                            s += v
                            ns += 1
                    o = s - ns
                    if o > 4:
                        o = 4
                    d = diag[p]
                    if chroma:
                        inc = 22 + o + (5 if d == 0 else 0)
                    else:
                        inc = 1 + o + (15 if d == 0 else (10 if d < 3 else (5 if d < 10 else 0)))
                budget -= 1
                if a > 1:
                    bits = _ctx_bin(s0, s1, r0, r1, c0, c1, gtx + inc, 1, bits)
                    par = (a - 2) & 1
                    bits = _ctx_bin(s0, s1, r0, r1, c0, c1, par_c + inc, par, bits)
                    gt3 = 1 if a >= 4 else 0
                    bits = _ctx_bin(s0, s1, r0, r1, c0, c1, gt3_c + inc, gt3, bits)
                    pass1[p] = (4 if gt3 else 2) + par
                    budget -= 2
                else:
                    bits = _ctx_bin(s0, s1, r0, r1, c0, c1, gtx + inc, 0, bits)
                    pass1[p] = 1
            if dep_quant:
                qs = _QS_NEXT[2 * qs + (a & 1)]
            nn -= 1
        first_mode1 = nn
        for m in range(start, first_mode1, -1):
            p = sb_pos[i, m]
            a = absl[p]
            if a >= 4:
                s = 0
                for t in range(5):
                    s += absl[tmpl[p, t]]
                s -= 20
                rice = RICE_A[0 if s < 0 else (31 if s > 31 else s)]
                bits = _abs_add(bits, (a - pass1[p]) >> 1, rice)
        for m in range(first_mode1, -1, -1):
            p = sb_pos[i, m]
            a = absl[p]
            s = 0
            for t in range(5):
                s += absl[tmpl[p, t]]
            rice = RICE_A[31 if s > 31 else s]
            zero = (1 if qs < 2 else 2) << rice  # ZeroPos
            bits = _abs_add(bits, zero if a == 0 else (a - 1 if a <= zero else a), rice)
            if dep_quant:
                qs = _QS_NEXT[2 * qs + (a & 1)]
        cnt, lo, hi = 0, -1, -1
        for m in range(start, -1, -1):
            if absl[sb_pos[i, m]]:
                cnt += 1
                lo = m
                if hi < 0:
                    hi = m
        if sign_hiding and hi - lo >= SBH_THRESHOLD:
            cnt -= 1  # the sign at firstSigScanPosSb is hidden
        for _ in range(cnt):  # one addition per sign bin, as the per-bin path adds them
            bits += 1.0
    return bits
