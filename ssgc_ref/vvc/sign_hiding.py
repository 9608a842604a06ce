"""Sign data hiding (H.266 7.3.11.11, sh_sign_data_hiding_used_flag): the rule, and the encoder's
parity adjustment (informative).

In a 4x4 sub-block whose first and last significant scan positions (firstSigScanPosSb,
lastSigScanPosSb: the lowest and highest scan index n in 0..15 with a non-zero level) are at
least SBH_THRESHOLD = 4 apart, the sign of the level at firstSigScanPosSb is not coded: the decoder
makes it negative when the sum of the sub-block's absolute levels is odd. The encoder therefore
has to make that parity agree with the sign; :func:`hide_signs` changes one level by +-1 where it
costs least (HM's approach: the quantisation error of each candidate, plus a rough rate of its
level before and after), never moving the sub-block's first or last significant
position, so the rule still applies to the same coefficient and the last position of the block,
LFNST's zero-out region and ISP's inferred coded flag are unaffected.
"""

from __future__ import annotations

import numpy as np

from .quant import _scale_params
from .rdoq import _energy_gain
from .residual_coding import SBH_THRESHOLD, tables, zero_out

__all__ = ["SBH_THRESHOLD", "hide_signs", "sign_hidden"]



def _level_bits(v: int) -> float:
    """Rough code length of an absolute level (informative): sig 0 / sig, gt1, sign / + par, gt3 /
    + the remainder's bypass bins at Rice parameter 0."""
    if v == 0:
        return 0.5
    if v == 1:
        return 3.0
    if v < 4:
        return 4.5
    return 6.0 + ((v - 4) >> 1)


def sign_hidden(first: int, last: int) -> bool:
    """Whether the sign at firstSigScanPosSb is hidden (first, last: scan indices in the sub-block)."""
    return last - first >= SBH_THRESHOLD


def hide_signs(levels: np.ndarray, coeffs: np.ndarray, qp: int, bd: int, lam: float) -> np.ndarray:
    """Levels (h, w) int32 equal to ``levels`` except for at most one +-1 change per sub-block, so
    that every sub-block with a hidden sign decodes with the sign ``levels`` has there. ``coeffs``
    are the scaled coefficients the levels quantise (their magnitudes price the changes), ``lam``
    the encoder's Lagrange multiplier (pixel-domain SSD per bit). A 64-sample side's sub-blocks are
    those of its zero-out region, as the residual coding sees them."""
    region = zero_out(levels)[0]
    h, w = region.shape
    T = tables(w, h)
    flat = region.ravel()
    a = np.abs(flat[T.scan]).reshape(-1, 16)
    nz = a != 0
    has = nz.any(axis=1)
    first = np.argmax(nz, axis=1)
    last = 15 - np.argmax(nz[:, ::-1], axis=1)
    odd = (a.sum(axis=1) & 1).astype(bool)
    neg = flat[T.scan].reshape(-1, 16)[np.arange(a.shape[0]), first] < 0
    todo = np.flatnonzero(has & (last - first >= SBH_THRESHOLD) & (odd != neg))
    if todo.size == 0:
        return levels
    out = flat.astype(np.int64)
    ls, bd_shift = _scale_params(levels.shape, qp, bd)
    step = ls / float(1 << bd_shift)
    d_unit = _energy_gain(*levels.shape, bd) * step * step  # pixel SSD per squared level unit
    cmag = np.abs(coeffs[:h, :w].ravel().astype(np.float64)) / step
    for i in todo.tolist():
        pos = T.sb_pos[i]
        f, g = int(first[i]), int(last[i])
        best, best_p, best_d = None, -1, 0
        for m in range(f, g + 1):
            p = pos[m]
            lv = abs(int(out[p]))
            u = float(cmag[p])
            e0 = (u - lv) * (u - lv)
            r0 = _level_bits(lv)
            if lv < 32767:  # up by one
                c = d_unit * ((u - lv - 1) * (u - lv - 1) - e0) + lam * (_level_bits(lv + 1) - r0)
                if best is None or c < best:
                    best, best_p, best_d = c, p, 1
            if lv > 1 or (lv == 1 and f < m < g):  # down by one, never emptying the first or last
                c = d_unit * ((u - lv + 1) * (u - lv + 1) - e0) + lam * (_level_bits(lv - 1) - r0)
                if best is None or c < best:
                    best, best_p, best_d = c, p, -1
        v = int(out[best_p])
        if v == 0:  # a new level takes its coefficient's sign (it is coded: f < m < g)
            out[best_p] = -1 if coeffs[best_p // w, best_p % w] < 0 else 1
        else:
            out[best_p] = v + best_d if v > 0 else v - best_d
    full = np.array(levels, dtype=np.int32)
    full[:h, :w] = out.reshape(h, w)
    return full
