"""H.266/VVC intra sample prediction, mirroring the decoder bit-exactly (H.266 clause 8.4.5.2).

Scope (the tool set of the SSGC VVC profile, spec §7): matrix-based prediction (MIP) is in mip.py
(it reads the unfiltered substituted references of reference_samples()); no CCLM, no BDPCM, no intra
smoothing disable; intra sub-partitions (ISP) for luma, where a sub-partition's prediction differs
from a plain block's in three places (8.4.5.2): the reference line is nCbW + nTbW / nCbH + nTbH
samples long, the wide-angle mapping uses the CU's shape, and neither reference smoothing nor the
Gaussian interpolation filter applies (``isp_cu``); multiple reference lines (MRL) for luma: with
IntraLumaRefLineIdx refIdx = 1 or 2 the reference samples are the row refIdx + 1 above and the
column refIdx + 1 left of the block (x = -1 - refIdx, y = -1 - refIdx .. refH - 1 and
x = -refIdx .. refW - 1, y = -1 - refIdx), substituted over that whole range; there is no
reference smoothing, no Gaussian filter (the cubic one always) and no PDPC; DC averages
p[0..nTbW-1][-1-refIdx] / p[-1-refIdx][0..nTbH-1]; the angular process starts at
iIdx = (((y + 1 + refIdx) * intraPredAngle) >> 5) + refIdx (``ReferenceSamples.ref_idx``).
Within that scope every process the decoder runs is
here: reference sample availability marking, substitution and filtering (8.4.5.2.8 to 8.4.5.2.10),
wide-angle mode mapping (8.4.5.2.7), planar (8.4.5.2.11), DC (8.4.5.2.12), angular with the
4-tap cubic/Gaussian luma filters and the 2-tap chroma filter (8.4.5.2.13), and position-dependent
prediction combination (PDPC, 8.4.5.2.15 and the angular PDPC with nScale).

predict_reference() is integer numpy on whole blocks; predict_from_refs() runs the same integer
arithmetic in compiled kernels (on small blocks numpy's per-call overhead was most of its time).
Horizontal modes (< 34) are computed as the transposed vertical problem (main reference = left
column), which is exactly how the specification's two branches mirror each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .intmath import clip3, log2i
from .jit import kernel

__all__ = [
    "ReferenceSamples",
    "intra_pred_angle",
    "inv_angle",
    "predict_block",
    "predict_from_refs",
    "predict_reference",
    "reference_samples",
    "wide_angle_mode",
]

INTRA_PLANAR = 0
INTRA_DC = 1
INTRA_HOR = 18
INTRA_DIAG = 34
INTRA_VER = 50

# intraPredAngle for |mode - 50| (vertical side) / |18 - mode| (horizontal side), 0..30 (Table 24).
_ANGLES = (0, 1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20, 23, 26, 29,
           32, 35, 39, 45, 51, 57, 64, 73, 86, 102, 128, 171, 256, 341, 512)

# Table 25: fC (cubic) interpolation filter coefficients, phase 0..31; fG is (16-p/2, 32-p/2, 16+p/2, p/2).
_FC = np.array([
    (0, 64, 0, 0), (-1, 63, 2, 0), (-2, 62, 4, 0), (-2, 60, 7, -1), (-2, 58, 10, -2),
    (-3, 57, 12, -2), (-4, 56, 14, -2), (-4, 55, 15, -2), (-4, 54, 16, -2), (-5, 53, 18, -2),
    (-6, 52, 20, -2), (-6, 49, 24, -3), (-6, 46, 28, -4), (-5, 44, 29, -4), (-4, 42, 30, -4),
    (-4, 39, 33, -4), (-4, 36, 36, -4), (-4, 33, 39, -4), (-4, 30, 42, -4), (-4, 29, 44, -5),
    (-4, 28, 46, -6), (-3, 24, 49, -6), (-2, 20, 52, -6), (-2, 18, 53, -5), (-2, 16, 54, -4),
    (-2, 15, 55, -4), (-2, 14, 56, -4), (-2, 12, 57, -3), (-2, 10, 58, -2), (-1, 7, 60, -2),
    (0, 4, 62, -2), (0, 2, 63, -1)], dtype=np.int64)
_P = np.arange(32, dtype=np.int64)
_FG = np.stack([16 - (_P >> 1), 32 - (_P >> 1), 16 + (_P >> 1), _P >> 1], axis=1)

# refFilterFlag: planar and the modes whose slope is a whole number of samples (after wide-angle mapping).
_REF_FILTER_MODES = frozenset((-14, -12, -10, -6, INTRA_PLANAR, 2, 34, 66, 72, 76, 78, 80))
# intraHorVerDistThres[nTbS] for nTbS = 2..6.
_HOR_VER_DIST_THRES = {2: 24, 3: 14, 4: 2, 5: 0, 6: 0}


def wide_angle_mode(mode: int, w: int, h: int) -> int:
    """8.4.5.2.7 wide-angle intra prediction mode mapping (non-square blocks only change anything)."""
    wh_ratio = abs(log2i(w) - log2i(h))
    if w > h and 2 <= mode < (8 + 2 * wh_ratio if wh_ratio > 1 else 8):
        return mode + 65
    if h > w and (60 - 2 * wh_ratio if wh_ratio > 1 else 60) < mode <= 66:
        return mode - 67
    return mode


def intra_pred_angle(mode: int) -> int:
    """intraPredAngle of an angular (possibly wide-angle, -14..80) mode."""
    if mode > INTRA_DIAG:
        idx = mode - INTRA_VER
    elif mode > 0:
        idx = INTRA_HOR - mode
    else:
        idx = INTRA_HOR - 2 - mode
    return _ANGLES[idx] if idx >= 0 else -_ANGLES[-idx]


def inv_angle(angle: int) -> int:
    """invAngle = Round(512 * 32 / intraPredAngle), exact integer rounding (no ties occur)."""
    a = abs(angle)
    r = (2 * 16384 + a) // (2 * a)
    return r if angle > 0 else -r


@dataclass(frozen=True)
class ReferenceSamples:
    """Unfiltered reference samples after substitution: ``top[i]`` = p[i - r][-1 - r] (i < 2w + r),
    ``left[j]`` = p[-1 - r][j - r] (j < 2h + r), ``corner`` = p[-1 - r][-1 - r], where r =
    ``ref_idx`` (IntraLumaRefLineIdx, 0 for chroma): with r = 0, top[i] = p[i][-1] and so on."""

    top: np.ndarray
    left: np.ndarray
    corner: int
    ref_idx: int = 0


@kernel
def _ref_line(plane, avail, x0, y0, n_left, n_top, r, u, bit_depth):
    """(availability, samples) of the sequence p[-1-r][n_left-1-r] .. p[-1-r][-r], corner
    p[-1-r][-1-r], p[-r][-1-r] .. p[n_top-1-r][-1-r] (n_left / n_top already include r), each
    position with the availability of its own ``u``-sample unit of the map (outside the map =
    unavailable), any block position and lengths (one kernel for line 0 on the grid, MRL's lines and
    ISP's lengths). Unavailable entries hold 1 << (bitDepth - 1)."""
    rows, cols = avail.shape
    n = n_left + 1 + n_top
    ok = np.zeros(n, dtype=np.bool_)
    seq = np.full(n, 1 << (bit_depth - 1), dtype=np.int64)
    xl = x0 - 1 - r
    yt = y0 - 1 - r
    for k in range(n):
        if k < n_left:
            xs = xl
            ys = y0 + n_left - 1 - r - k
        elif k == n_left:
            xs = xl
            ys = yt
        else:
            xs = x0 - r + (k - n_left - 1)
            ys = yt
        if xs >= 0 and ys >= 0:
            bx = xs // u
            by = ys // u
            if bx < cols and by < rows and avail[by, bx]:
                ok[k] = True
                seq[k] = plane[ys, xs]
    return ok, seq


@kernel
def _substitute(ok, seq):
    """8.4.5.2.9 in place: an unavailable first entry takes the first available value, then every
    unavailable entry copies its predecessor (nothing available: left as it is)."""
    first = -1
    for i in range(seq.shape[0]):
        if ok[i]:
            first = i
            break
    if first < 0:
        return
    if first > 0:
        seq[0] = seq[first]
    for i in range(1, seq.shape[0]):
        if not ok[i]:
            seq[i] = seq[i - 1]


def reference_samples(plane: np.ndarray, avail: np.ndarray, x0: int, y0: int, w: int, h: int,
                      bit_depth: int, avail_unit: int, n_top: int | None = None,
                      n_left: int | None = None, ref_idx: int = 0) -> ReferenceSamples:
    """Reference sample availability marking and substitution (8.4.5.2.8, 8.4.5.2.9).

    ``n_top`` / ``n_left`` (refW / refH): the lengths of the top row and the left column, 2w and 2h
    unless given (an ISP sub-partition's are nCbW + w and nCbH + h). ``ref_idx`` (refIdx, 0..2,
    luma): the line refIdx + 1 samples away, refW + refIdx / refH + refIdx samples long plus its
    corner; availability is each sample's own (for a block on the 4-sample grid, refIdx < 4 keeps
    it the one of the line-0 sample in the same 4x4 unit).

    Unavailable samples are substituted in the specification's order: the sequence runs from
    p[-1][2h-1] up the left column to the corner, then along the top row to p[2w-1][-1]; if its first
    entry is unavailable it takes the first available value of the sequence, then every unavailable
    entry copies its predecessor. With nothing available, every sample is 1 << (bitDepth - 1).
    """
    if ref_idx not in (0, 1, 2):
        raise ValueError(f"reference line index {ref_idx} outside 0..2")
    r = ref_idx
    n_left = (2 * h if n_left is None else n_left) + r
    n_top = (2 * w if n_top is None else n_top) + r
    ok, seq = _ref_line(plane, avail, x0, y0, n_left, n_top, r, avail_unit, bit_depth)
    _substitute(ok, seq)
    return ReferenceSamples(top=seq[n_left + 1:], left=seq[n_left - 1::-1], corner=int(seq[n_left]), ref_idx=r)


def _filter_121(line: np.ndarray, before: int) -> np.ndarray:
    """[1 2 1] smoothing of a reference line whose predecessor is ``before``; last sample kept."""
    ext = np.concatenate([[before], line])
    out = line.copy()
    out[:-1] = (ext[:-2] + 2 * ext[1:-1] + ext[2:] + 2) >> 2
    return out


def _pdpc_scale(w: int, h: int) -> int:
    return (log2i(w) + log2i(h) - 2) >> 2


def _weights(n: int, scale: int) -> np.ndarray:
    """32 >> ((i << 1) >> nScale) for i < n (shift capped at 31 like a 32-bit decoder)."""
    return 32 >> np.minimum((np.arange(n, dtype=np.int64) << 1) >> scale, 31)


def _planar(top: np.ndarray, left: np.ndarray, w: int, h: int) -> np.ndarray:
    lw, lh = log2i(w), log2i(h)
    x = np.arange(w, dtype=np.int64)[None, :]
    y = np.arange(h, dtype=np.int64)[:, None]
    pred_v = ((h - 1 - y) * top[None, :w] + (y + 1) * left[h]) << lw
    pred_h = ((w - 1 - x) * left[:h, None] + (x + 1) * top[w]) << lh
    return (pred_v + pred_h + w * h) >> (lw + lh + 1)


def _dc(top: np.ndarray, left: np.ndarray, w: int, h: int, r: int = 0) -> np.ndarray:
    """8.4.5.2.12 on the line r (top[r + x] = p[x][-1-r], left[r + y] = p[-1-r][y])."""
    top, left = top[r:], left[r:]
    if w == h:
        dc = (int(top[:w].sum()) + int(left[:h].sum()) + w) >> (log2i(w) + 1)
    elif w > h:
        dc = (int(top[:w].sum()) + (w >> 1)) >> log2i(w)
    else:
        dc = (int(left[:h].sum()) + (h >> 1)) >> log2i(h)
    return np.full((h, w), dc, dtype=np.int64)


def _angular_vertical(main: np.ndarray, side: np.ndarray, corner: int, w: int, h: int, angle: int,
                      luma: bool, gauss: bool, pdpc: bool, max_val: int, r: int = 0) -> np.ndarray:
    """8.4.5.2.13 for predModeIntra >= 34 (``main`` = top row, ``side`` = left column, reference
    line ``r`` = refIdx).

    ref[k] = p[k-1-r][-1-r]; for a negative angle ref[-h..-1] are projected from the side column with
    invAngle; ref is padded past 2w + r with its last sample for the 4-tap filter's outer taps
    (the specification pads Max(1, w/h) * refIdx + 1 samples, all the filter reads).
    iIdx = (((y + 1 + r) * intraPredAngle) >> 5) + r. Positive angles get the angular PDPC
    (left-column correction) when nScale >= 0 (only with r = 0: ``pdpc`` is False otherwise).
    """
    off = h + 1  # array index of ref[0]
    n = main.size
    ref = np.empty(off + max(n, w + (((h + r) * max(angle, 0)) >> 5) + r) + 4, dtype=np.int64)
    ref[off] = corner
    ref[off + 1:off + 1 + n] = main
    ref[off + 1 + n:] = main[-1]
    if angle < 0:
        ia = inv_angle(angle)
        k = np.arange(-h, 0, dtype=np.int64)
        j = np.minimum((k * ia + 256) >> 9, h)  # side index + 1: p[-1][-1 + j]
        ref[off + k] = np.where(j == 0, corner, side[np.maximum(j - 1, 0)])
    else:
        ref[:off] = corner  # never read with a non-zero weight
    y = np.arange(h, dtype=np.int64)
    pos = (y + 1 + r) * angle
    idx = (pos >> 5)[:, None] + r + np.arange(w, dtype=np.int64)[None, :] + off
    fact = (pos & 31)[:, None]
    if luma:
        f = (_FG if gauss else _FC)[fact[:, 0]]  # (h, 4)
        acc = sum(f[:, i:i + 1] * ref[idx + i] for i in range(4))
        pred = clip3((acc + 32) >> 6, 0, max_val)
    else:
        pred = ((32 - fact) * ref[idx + 1] + fact * ref[idx + 2] + 16) >> 5
    if pdpc and angle > 0:
        ia = inv_angle(angle)
        n_scale = min(2, log2i(h) - log2i(3 * ia - 2) + 8)
        if n_scale >= 0:
            n = min(w, 3 << n_scale)
            x = np.arange(n, dtype=np.int64)
            d_y = ((x + 1) * ia + 256) >> 9
            rows = y[:, None] + d_y[None, :]
            if rows.max() >= side.size:
                raise AssertionError("angular PDPC reads beyond the reference column")  # never for 4..64
            wl = _weights(n, n_scale)[None, :]
            val = pred[:, :n]
            pred[:, :n] = clip3(val + (((side[rows] - val) * wl + 32) >> 6), 0, max_val)
    elif pdpc and angle == 0:
        wl = _weights(w, _pdpc_scale(w, h))[None, :]
        pred = clip3(pred + ((wl * (side[:h, None] - corner) + 32) >> 6), 0, max_val)
    return pred


def predict_from_refs(refs: ReferenceSamples, w: int, h: int, mode: int, c_idx: int,
                      bit_depth: int, isp_cu: tuple[int, int] | None = None) -> np.ndarray:
    """Intra prediction (int32, shape (h, w)) of one block from its substituted reference samples.

    ``mode`` is the signalled (luma) or derived (chroma) intra prediction mode 0..66, before the
    wide-angle mapping, which this function applies. ``isp_cu`` = (nCbW, nCbH) when the block is a
    luma sub-partition of an ISP CU (IntraSubPartitionsSplitType != ISP_NO_SPLIT, cIdx 0): the
    wide-angle mapping takes the CU's shape, and refFilterFlag's smoothing and the Gaussian filter
    (filterFlag) are off; ``refs`` then holds nCbW + w / nCbH + h samples. Predictions are
    compiled: angular ones apply index tables cached per block shape, mode and ISP CU shape
    (_angular_plan, _pred_plan) in _angular_kernel, planar and DC run in _planar_dc_kernel; the
    result equals :func:`predict_reference`, the processes written out step by step (which
    references of other lengths than 2w + refIdx / 2h + refIdx, or nCbW + w / nCbH + h, take).
    ``refs.ref_idx`` > 0 (MRL, luma only, never with ISP or planar) selects the farther reference
    line.
    """
    r = _check_ref_line(refs, mode, c_idx, isp_cu)
    luma = c_idx == 0
    top, left = refs.top, refs.left
    cu = (int(isp_cu[0]), int(isp_cu[1])) if isp_cu is not None and luma else None
    n_top, n_left = (2 * w + r, 2 * h + r) if cu is None else (cu[0] + w, cu[1] + h)
    if top.shape[0] != n_top or left.shape[0] != n_left:
        return predict_reference(refs, w, h, mode, c_idx, bit_depth, isp_cu)
    if mode <= INTRA_DC:  # the wide-angle mapping leaves 0 and 1 alone and never yields them
        return _planar_dc_kernel(top, left, refs.corner, w, h, mode, r,
                                 luma and cu is None and r == 0 and w * h > 32 and mode == INTRA_PLANAR,
                                 (1 << bit_depth) - 1)
    vertical, filt, kind, idx, taps, pdpc_idx, wts = _pred_plan(w, h, mode, luma, r, cu)
    return _angular_kernel(top, left, refs.corner, vertical, filt, luma, kind, idx, taps, pdpc_idx, wts,
                           (1 << bit_depth) - 1)


@kernel
def _smooth_121(src, corner, n, dst):
    """dst[i] = the [1 2 1] smoothing of src[i] (src[-1] = corner, the last of the n samples kept),
    for i < len(dst)."""
    for i in range(dst.shape[0]):
        cur = np.int64(src[i])
        if i == n - 1:
            dst[i] = cur
        else:
            prev = corner if i == 0 else np.int64(src[i - 1])
            dst[i] = (prev + 2 * cur + np.int64(src[i + 1]) + 2) >> 2


@kernel
def _filtered_line(main, side, corner, filt):
    """The line [main, corner, side] in int64, each part [1 2 1]-smoothed when ``filt`` (as
    _filter_121 with the unfiltered corner before it, and the corner from both first samples)."""
    nm = main.shape[0]
    ns = side.shape[0]
    line = np.empty(nm + 1 + ns, dtype=np.int64)
    c = np.int64(corner)
    if filt:
        _smooth_121(main, c, nm, line[:nm])
        _smooth_121(side, c, ns, line[nm + 1:])
        # (left[0] + 2 * corner + top[0] + 2) >> 2: symmetric in main / side
        line[nm] = (np.int64(side[0]) + 2 * c + np.int64(main[0]) + 2) >> 2
    else:
        for i in range(nm):
            line[i] = np.int64(main[i])
        line[nm] = c
        for i in range(ns):
            line[nm + 1 + i] = np.int64(side[i])
    return line


@kernel
def _angular_kernel(top, left, corner, vertical, filt, luma, kind, idx, taps, pdpc_idx, wts, max_val):
    """The angular prediction of _angular_plan's tables (predict_from_refs' former numpy steps):
    acc = sum over taps of taps[t, y] * line[idx[t, y, x]] on the transposed-or-not W x H problem,
    luma (acc + 32) >> 6 clipped, chroma (acc + 16) >> 5; then ``kind`` 1: the angular PDPC of the
    first n = wts.size columns from line[pdpc_idx[y, x]], 2: the pure vertical/horizontal PDPC
    with weights wts[x] of side[y] - corner; written transposed (horizontal modes) into int32 (h, w)."""
    if vertical:
        line = _filtered_line(top, left, corner, filt)
        c_i = top.shape[0]
    else:
        line = _filtered_line(left, top, corner, filt)
        c_i = left.shape[0]
    n_taps, hh, ww = idx.shape
    s0 = c_i + 1
    cor = line[c_i]
    n = wts.shape[0]
    out = np.empty((hh, ww) if vertical else (ww, hh), dtype=np.int32)
    for y in range(hh):
        for x in range(ww):
            acc = np.int64(0)
            for t in range(n_taps):
                acc += taps[t, y] * line[idx[t, y, x]]
            if luma:
                v = (acc + 32) >> 6
                if v < 0:
                    v = 0
                elif v > max_val:
                    v = max_val
            else:
                v = (acc + 16) >> 5
            if kind == 1:
                if x < n:
                    v = v + (((line[pdpc_idx[y, x]] - v) * wts[x] + 32) >> 6)
                    v = min(max(v, 0), max_val)
            elif kind == 2:
                v = v + ((wts[x] * (line[s0 + y] - cor) + 32) >> 6)
                v = min(max(v, 0), max_val)
            if vertical:
                out[y, x] = v
            else:
                out[x, y] = v
    return out


@kernel
def _planar_dc_kernel(top, left, corner, w, h, mode, r, filt, max_val):
    """Planar (8.4.5.2.11) or DC (8.4.5.2.12 on line r) and, with r = 0 and w, h >= 4, their PDPC
    (8.4.5.2.15), int32 (h, w): predict_reference's _planar / _dc / PDPC, on the [1 2 1]-smoothed
    references when ``filt`` (only the first w + 1 / h + 1 samples are read)."""
    c = np.int64(corner)
    nt = top.shape[0]
    nl = left.shape[0]
    t = np.empty(w + 1, dtype=np.int64)
    lf = np.empty(h + 1, dtype=np.int64)
    if filt:
        _smooth_121(top, c, nt, t)
        _smooth_121(left, c, nl, lf)
    else:
        for i in range(w + 1):
            t[i] = np.int64(top[i])
        for i in range(h + 1):
            lf[i] = np.int64(left[i])
    lw = 0
    while (1 << lw) < w:
        lw += 1
    lh = 0
    while (1 << lh) < h:
        lh += 1
    out = np.empty((h, w), dtype=np.int32)
    dc = np.int64(0)
    if mode == 1:
        st = np.int64(0)
        sl = np.int64(0)
        for i in range(w):
            st += np.int64(top[r + i])
        for i in range(h):
            sl += np.int64(left[r + i])
        if w == h:
            dc = (st + sl + w) >> (lw + 1)
        elif w > h:
            dc = (st + (w >> 1)) >> lw
        else:
            dc = (sl + (h >> 1)) >> lh
    pdpc = w >= 4 and h >= 4 and r == 0
    s = (lw + lh - 2) >> 2
    for y in range(h):
        wt = np.int64(32 >> min((y << 1) >> s, 31)) if pdpc else np.int64(0)
        for x in range(w):
            if mode == 0:
                pv = ((h - 1 - y) * t[x] + (y + 1) * lf[h]) << lw
                ph = ((w - 1 - x) * lf[y] + (x + 1) * t[w]) << lh
                p = (pv + ph + w * h) >> (lw + lh + 1)
            else:
                p = dc
            if pdpc:
                wl = np.int64(32 >> min((x << 1) >> s, 31))
                p = p + ((wl * (lf[y] - p) + wt * (t[x] - p) + 32) >> 6)
                p = min(max(p, 0), max_val)
            out[y, x] = p
    return out


def _check_ref_line(refs: ReferenceSamples, mode: int, c_idx: int, isp_cu) -> int:
    """refIdx of the prediction; the combinations the syntax cannot express are errors."""
    if not (0 <= mode <= 66):
        raise ValueError(f"intra mode {mode} outside 0..66")
    r = refs.ref_idx
    if r and (c_idx != 0 or isp_cu is not None or mode == INTRA_PLANAR):
        raise ValueError("reference line > 0 is luma only, without ISP, never planar")
    return r


@lru_cache(maxsize=None)
def _angular_plan(w: int, h: int, mode: int, luma: bool, r: int = 0, isp_cu: tuple[int, int] | None = None):
    """Index tables of the angular prediction (8.4.5.2.13) of a w x h block in ``mode`` (0..66,
    not planar/DC) from reference line ``r``, on the line [main (2W + r), corner, side (2H + r)]
    (main = top row for vertical modes,
    left column for horizontal ones, computed as the transposed vertical problem W x H):
    (idx (taps, H, W), tap weights (taps, H, 1), angular-PDPC line indices (H, n) and weights
    (1, n) or None, pure vertical/horizontal PDPC weights (1, W) or None, n). Mirrors
    _angular_vertical() index for index. ``isp_cu`` = (nCbW, nCbH) for a luma ISP sub-partition
    (r = 0, w or h may be 1 or 2): the CU's shape maps the wide angles, the lines are nCbW + w /
    nCbH + h long and the filter is the cubic one."""
    m = wide_angle_mode(mode, *isp_cu) if isp_cu is not None else wide_angle_mode(mode, w, h)
    n_main, n_side = (2 * w + r, 2 * h + r) if isp_cu is None else (isp_cu[0] + w, isp_cu[1] + h)
    if m < INTRA_DIAG:
        w, h = h, w  # the transposed vertical problem
        n_main, n_side = n_side, n_main
    angle = intra_pred_angle(m)
    gauss = False
    if luma and isp_cu is None and r == 0 and m not in _REF_FILTER_MODES:
        min_dist = min(abs(m - INTRA_VER), abs(m - INTRA_HOR))
        gauss = min_dist > _HOR_VER_DIST_THRES[(log2i(w) + log2i(h)) >> 1]
    pdpc = r == 0 and w >= 4 and h >= 4 and not (INTRA_HOR < m < INTRA_VER)
    corner_i, side0 = n_main, n_main + 1
    off = h + 1  # index of ref[0] in _angular_vertical's ref array
    # ref index -> line index
    rmap = np.empty(off + max(n_main, w + (((h + r) * max(angle, 0)) >> 5) + r) + 4, dtype=np.int64)
    rmap[off] = corner_i
    rmap[off + 1:off + 1 + n_main] = np.arange(n_main)
    rmap[off + 1 + n_main:] = n_main - 1
    if angle < 0:
        ia = inv_angle(angle)
        k = np.arange(-h, 0, dtype=np.int64)
        j = np.minimum((k * ia + 256) >> 9, h)
        rmap[off + k] = np.where(j == 0, corner_i, side0 + np.maximum(j - 1, 0))
    else:
        rmap[:off] = corner_i
    y = np.arange(h, dtype=np.int64)
    pos = (y + 1 + r) * angle
    base = (pos >> 5)[:, None] + r + np.arange(w, dtype=np.int64)[None, :] + off
    fact = pos & 31
    if luma:
        f = (_FG if gauss else _FC)[fact]  # (h, 4)
        idx = np.stack([rmap[base + i] for i in range(4)])
        taps = f.T[:, :, None].copy()
    else:
        idx = np.stack([rmap[base + 1], rmap[base + 2]])
        taps = np.stack([32 - fact, fact])[:, :, None]
    pdpc_idx = pdpc_w = corner_w = None
    n = 0
    if pdpc and angle > 0:
        ia = inv_angle(angle)
        n_scale = min(2, log2i(h) - log2i(3 * ia - 2) + 8)
        if n_scale >= 0:
            n = min(w, 3 << n_scale)
            x = np.arange(n, dtype=np.int64)
            d_y = ((x + 1) * ia + 256) >> 9
            pdpc_idx = side0 + y[:, None] + d_y[None, :]
            if pdpc_idx.max() >= side0 + n_side:
                raise AssertionError("angular PDPC reads beyond the reference column")  # as predict_reference
            pdpc_w = _weights(n, n_scale)[None, :]
    elif pdpc and angle == 0:
        corner_w = _weights(w, _pdpc_scale(w, h))[None, :]
    for a in (idx, taps, pdpc_idx, pdpc_w, corner_w):
        if a is not None:
            a.setflags(write=False)
    return idx, taps, pdpc_idx, pdpc_w, corner_w, n


# the absent tables, typed like the present ones for the kernel
_EMPTY_IDX = np.zeros((0, 0), dtype=np.int64)
_EMPTY_W = np.zeros(0, dtype=np.int64)
_EMPTY_IDX.setflags(write=False)
_EMPTY_W.setflags(write=False)


@lru_cache(maxsize=None)
def _pred_plan(w: int, h: int, mode: int, luma: bool, r: int, isp_cu: tuple[int, int] | None = None):
    """_angular_plan's tables in _angular_kernel's arguments: (vertical, refFilterFlag smoothing,
    PDPC kind 0 none / 1 angular / 2 pure vertical-horizontal, idx (taps, H, W), taps (taps, H),
    angular-PDPC line indices (H, n) or an empty (0, 0), PDPC weights (n,) / (W,) or empty).
    ``isp_cu``: a luma ISP sub-partition's CU shape (no smoothing, see _angular_plan)."""
    idx, taps, pdpc_idx, pdpc_w, corner_w, _ = _angular_plan(w, h, mode, luma, r, isp_cu)
    m = wide_angle_mode(mode, *isp_cu) if isp_cu is not None else wide_angle_mode(mode, w, h)
    filt = luma and isp_cu is None and r == 0 and w * h > 32 and m in _REF_FILTER_MODES
    if pdpc_idx is not None:
        kind, wts = 1, pdpc_w[0]
    elif corner_w is not None:
        kind, wts, pdpc_idx = 2, corner_w[0], _EMPTY_IDX
    else:
        kind, wts, pdpc_idx = 0, _EMPTY_W, _EMPTY_IDX
    taps2 = np.ascontiguousarray(taps[:, :, 0])
    taps2.setflags(write=False)
    return m >= INTRA_DIAG, filt, kind, idx, taps2, pdpc_idx, np.ascontiguousarray(wts)


def predict_reference(refs: ReferenceSamples, w: int, h: int, mode: int, c_idx: int,
                      bit_depth: int, isp_cu: tuple[int, int] | None = None) -> np.ndarray:
    """:func:`predict_from_refs` written as the specification's steps, one array operation each
    (the reference the cached-index fast path is tested against)."""
    r = _check_ref_line(refs, mode, c_idx, isp_cu)
    max_val = (1 << bit_depth) - 1
    luma = c_idx == 0
    isp = luma and isp_cu is not None
    if mode > INTRA_DC:
        mode = wide_angle_mode(mode, *isp_cu) if isp else wide_angle_mode(mode, w, h)
    top, left, corner = refs.top.astype(np.int64), refs.left.astype(np.int64), refs.corner
    # no smoothing, Gaussian filter or PDPC on a farther reference line (refIdx > 0)
    if luma and not isp and r == 0 and w * h > 32 and mode in _REF_FILTER_MODES:
        f_corner = (left[0] + 2 * corner + top[0] + 2) >> 2
        top, left, corner = _filter_121(top, corner), _filter_121(left, corner), int(f_corner)
    pdpc = w >= 4 and h >= 4 and r == 0
    if mode in (INTRA_PLANAR, INTRA_DC):
        pred = _planar(top, left, w, h) if mode == INTRA_PLANAR else _dc(top, left, w, h, r)
        if pdpc:
            s = _pdpc_scale(w, h)
            wl = _weights(w, s)[None, :]
            wt = _weights(h, s)[:, None]
            pred = clip3(pred + ((wl * (left[:h, None] - pred) + wt * (top[None, :w] - pred) + 32) >> 6),
                           0, max_val)
        return pred.astype(np.int32)
    angle = intra_pred_angle(mode)
    gauss = False
    if luma and not isp and r == 0 and mode not in _REF_FILTER_MODES:
        min_dist = min(abs(mode - INTRA_VER), abs(mode - INTRA_HOR))
        gauss = min_dist > _HOR_VER_DIST_THRES[(log2i(w) + log2i(h)) >> 1]
    # No PDPC strictly between the pure horizontal and vertical modes (negative angles).
    pdpc = pdpc and not (INTRA_HOR < mode < INTRA_VER)
    if mode >= INTRA_DIAG:
        pred = _angular_vertical(top, left, corner, w, h, angle, luma, gauss, pdpc, max_val, r)
    else:
        pred = _angular_vertical(left, top, corner, h, w, angle, luma, gauss, pdpc, max_val, r).T
    return np.ascontiguousarray(pred, dtype=np.int32)


def predict_block(plane: np.ndarray, avail: np.ndarray, x0: int, y0: int, w: int, h: int, mode: int,
                  c_idx: int, bit_depth: int, avail_unit: int) -> np.ndarray:
    """Intra prediction of the w x h block at (x0, y0) of ``plane`` (int32 (h, w)).

    ``plane``: reconstruction so far (2-D, whole padded plane); ``avail``: bool map at
    ``avail_unit``-sample granularity (luma 4, chroma 2) of samples already reconstructed and inside
    the picture. ``mode``: 0..66 (for chroma the final derived mode). w, h: powers of two, 4..64.
    """
    refs = reference_samples(plane, avail, x0, y0, w, h, bit_depth, avail_unit)
    return predict_from_refs(refs, w, h, mode, c_idx, bit_depth)
