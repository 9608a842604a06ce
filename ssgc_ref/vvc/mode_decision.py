"""Fast intra mode pre-selection (informative, encoder only).

All 67 luma modes (or a chroma mode list) of a block (square or not) are predicted with a simplified
predictor: one gather from the block's reference line with 2-tap (1/32 sample) interpolation, no
reference filtering and no PDPC; planar and DC exact without PDPC. The SATD of these approximate
predictions (8x8 Hadamard tiles, 4x4 when a side is 4) ranks the modes; only the few best go through
the exact (normative) prediction. One compiled kernel forms each mode's difference block and its
SATD in integers (_approx_satd), for every block size: blocks of up to 256 samples were ranked
before through a float32 matrix applied to the reference line, which left out the predictor's
rounding (and, at 16x16, streamed 4.5 MB per call).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intra_pred import intra_pred_angle, inv_angle, wide_angle_mode
from .jit import kernel


def _hadamard(n: int) -> np.ndarray:
    h = np.array([[1]], dtype=np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


# the tests' oracle (satd_reference): matrix products in float64, exact (integer sums far below 2^53)
_H4, _H8 = _hadamard(4).astype(np.float64), _hadamard(8).astype(np.float64)


def satd(diff: np.ndarray) -> np.ndarray:
    """Sum of absolute Hadamard-transformed differences of (..., h, w) integer blocks (8x8 tiles, 4x4
    when a side is 4), int64 (integers throughout: the compiled _satd_blocks)."""
    h, w = diff.shape[-2:]
    lead = diff.shape[:-2]
    flat = np.ascontiguousarray(diff, dtype=np.int64).reshape((-1, h, w))
    return _satd_blocks(flat).reshape(lead)


def satd_reference(diff: np.ndarray) -> np.ndarray:
    """satd() as matrix products (H d H per tile, exact in float64): the tests' oracle."""
    h, w = diff.shape[-2:]
    t = 8 if min(h, w) >= 8 else 4
    hm = _H8 if t == 8 else _H4
    lead = diff.shape[:-2]
    b = diff.astype(np.float64).reshape(lead + (h // t, t, w // t, t)).swapaxes(-3, -2)
    c = hm @ b @ hm
    return np.abs(c).sum(axis=(-4, -3, -2, -1)).astype(np.int64)


@kernel
def _hadamard_abs_sum(d: np.ndarray) -> int:
    """Sum over the t x t tiles of the (h, w) int64 block ``d`` (t = 8, or 4 when a side is 4) of
    |H tile H| for the Sylvester Hadamard matrix H: butterflies along each tile row (in place), then
    down each tile column (accumulated), written out so that the column pass runs across a whole
    row of tiles at once."""
    h, w = d.shape
    total = 0
    if min(h, w) >= 8:
        for y in range(h):
            for x in range(0, w, 8):
                a0, a1, a2, a3 = d[y, x], d[y, x + 1], d[y, x + 2], d[y, x + 3]
                a4, a5, a6, a7 = d[y, x + 4], d[y, x + 5], d[y, x + 6], d[y, x + 7]
                b0, b1, b2, b3, b4, b5, b6, b7 = a0 + a1, a0 - a1, a2 + a3, a2 - a3, a4 + a5, a4 - a5, a6 + a7, a6 - a7
                c0, c1, c2, c3, c4, c5, c6, c7 = b0 + b2, b1 + b3, b0 - b2, b1 - b3, b4 + b6, b5 + b7, b4 - b6, b5 - b7
                d[y, x], d[y, x + 1], d[y, x + 2], d[y, x + 3] = c0 + c4, c1 + c5, c2 + c6, c3 + c7
                d[y, x + 4], d[y, x + 5], d[y, x + 6], d[y, x + 7] = c0 - c4, c1 - c5, c2 - c6, c3 - c7
        for y in range(0, h, 8):
            for x in range(w):
                a0, a1, a2, a3 = d[y, x], d[y + 1, x], d[y + 2, x], d[y + 3, x]
                a4, a5, a6, a7 = d[y + 4, x], d[y + 5, x], d[y + 6, x], d[y + 7, x]
                b0, b1, b2, b3, b4, b5, b6, b7 = a0 + a1, a0 - a1, a2 + a3, a2 - a3, a4 + a5, a4 - a5, a6 + a7, a6 - a7
                c0, c1, c2, c3, c4, c5, c6, c7 = b0 + b2, b1 + b3, b0 - b2, b1 - b3, b4 + b6, b5 + b7, b4 - b6, b5 - b7
                total += (abs(c0 + c4) + abs(c1 + c5) + abs(c2 + c6) + abs(c3 + c7)
                          + abs(c0 - c4) + abs(c1 - c5) + abs(c2 - c6) + abs(c3 - c7))
    else:
        for y in range(h):
            for x in range(0, w, 4):
                a0, a1, a2, a3 = d[y, x], d[y, x + 1], d[y, x + 2], d[y, x + 3]
                b0, b1, b2, b3 = a0 + a1, a0 - a1, a2 + a3, a2 - a3
                d[y, x], d[y, x + 1], d[y, x + 2], d[y, x + 3] = b0 + b2, b1 + b3, b0 - b2, b1 - b3
        for y in range(0, h, 4):
            for x in range(w):
                a0, a1, a2, a3 = d[y, x], d[y + 1, x], d[y + 2, x], d[y + 3, x]
                b0, b1, b2, b3 = a0 + a1, a0 - a1, a2 + a3, a2 - a3
                total += abs(b0 + b2) + abs(b1 + b3) + abs(b0 - b2) + abs(b1 - b3)
    return total


@kernel
def _satd_blocks(diff: np.ndarray) -> np.ndarray:
    """satd() of (n, h, w) int64 blocks."""
    n, h, w = diff.shape
    out = np.zeros(n, dtype=np.int64)
    d = np.empty((h, w), dtype=np.int64)
    for k in range(n):
        d[:, :] = diff[k]
        out[k] = _hadamard_abs_sum(d)
    return out


@kernel
def _approx_satd(line: np.ndarray, org: np.ndarray, i0: np.ndarray, i1: np.ndarray, f: np.ndarray,
                 modes: np.ndarray) -> np.ndarray:
    """satd(org - approx_predictions(...)[modes]) without the (len(modes), h, w) predictions: one
    mode's difference block at a time (the formulas of approx_predictions, integers)."""
    h, w = org.shape
    c = 2 * h
    lw, lh = 0, 0
    while (1 << lw) < w:
        lw += 1
    while (1 << lh) < h:
        lh += 1
    # line[c + 1 + x] = top[x], line[c - 1 - y] = left[y]
    st, sl = 0, 0
    for x in range(w):
        st += line[c + 1 + x]
    for y in range(h):
        sl += line[c - 1 - y]
    if w == h:
        dcv = (st + sl + w) >> (lw + 1)
    elif w > h:
        dcv = (st + (w >> 1)) >> lw
    else:
        dcv = (sl + (h >> 1)) >> lh
    left_h, top_w = line[c - 1 - h], line[c + 1 + w]
    out = np.zeros(modes.size, dtype=np.int64)
    d = np.empty((h, w), dtype=np.int64)
    for k in range(modes.size):
        m = modes[k]
        if m == 0:
            for y in range(h):
                for x in range(w):
                    p = ((((h - 1 - y) * line[c + 1 + x] + (y + 1) * left_h) << lw)
                         + (((w - 1 - x) * line[c - 1 - y] + (x + 1) * top_w) << lh) + w * h) >> (lw + lh + 1)
                    d[y, x] = org[y, x] - p
        elif m == 1:
            for y in range(h):
                for x in range(w):
                    d[y, x] = org[y, x] - dcv
        else:
            for y in range(h):
                for x in range(w):
                    fr = f[m - 2, y, x]
                    d[y, x] = org[y, x] - (((32 - fr) * line[i0[m - 2, y, x]] + fr * line[i1[m - 2, y, x]] + 16) >> 5)
        out[k] = _hadamard_abs_sum(d)
    return out


def _mapped(mode: int, w: int, h: int) -> int:
    return wide_angle_mode(mode, w, h) if mode > 1 else mode


@lru_cache(maxsize=None)
def _gather_tables(w: int, h: int):
    """(idx0, idx1, frac) of shape (65, h, w) for modes 2..66 (wide-angle mapped) into the line
    L = [left[2h-1] .. left[0], corner, top[0] .. top[2w-1]] (corner at index 2h)."""
    c = 2 * h
    yy, xx = np.mgrid[0:h, 0:w]
    i0s, i1s, fs = [], [], []
    for mode in range(2, 67):
        m = _mapped(mode, w, h)
        a = intra_pred_angle(m)
        vertical = m >= 34
        # along the main direction: position k (row for vertical modes) and offset t (column)
        k, t = (yy, xx) if vertical else (xx, yy)
        pos = (k + 1) * a
        ii = pos >> 5
        f = pos & 31
        r0 = t + ii + 1  # main-reference index (0 = corner, r > 0 main[r-1], r < 0 projected side)
        r1 = r0 + 1
        out = []
        for r in (r0, r1):
            if a < 0:
                ia = inv_angle(a)
                j = -1 + ((r * ia + 256) >> 9)  # side sample index for r < 0
            else:
                j = np.zeros_like(r)
            if vertical:
                li = np.where(r > 0, c + r, np.where(r == 0, c, c - 1 - j))
            else:
                li = np.where(r > 0, c - r, np.where(r == 0, c, c + 1 + j))
            out.append(np.clip(li, 0, 2 * (w + h)))
        i0s.append(out[0])
        i1s.append(out[1])
        fs.append(f)
    return np.stack(i0s), np.stack(i1s), np.stack(fs).astype(np.int64)


@lru_cache(maxsize=None)
def _gather_tables32(w: int, h: int):
    """_gather_tables as int32 (half the memory traffic of the compiled ranking)."""
    return tuple(np.ascontiguousarray(a, dtype=np.int32) for a in _gather_tables(w, h))


def _line(refs) -> np.ndarray:
    return np.concatenate([refs.left[::-1], [refs.corner], refs.top])


def approx_predictions(refs, w: int, h: int, modes=None) -> np.ndarray:
    """Approximate predictions (len(modes), h, w) int64 for the given modes (default 0..66)."""
    top = refs.top.astype(np.int64)
    left = refs.left.astype(np.int64)
    line = _line(refs).astype(np.int64)
    i0, i1, f = _gather_tables(w, h)
    ang = ((32 - f) * line[i0] + f * line[i1] + 16) >> 5
    lw, lh = w.bit_length() - 1, h.bit_length() - 1
    y = np.arange(h)[:, None]
    x = np.arange(w)[None, :]
    planar = ((((h - 1 - y) * top[None, :w] + (y + 1) * left[h]) << lw)
              + (((w - 1 - x) * left[:h, None] + (x + 1) * top[w]) << lh) + w * h) >> (lw + lh + 1)
    if w == h:
        dcv = (top[:w].sum() + left[:h].sum() + w) >> (lw + 1)
    elif w > h:
        dcv = (top[:w].sum() + (w >> 1)) >> lw
    else:
        dcv = (left[:h].sum() + (h >> 1)) >> lh
    dc = np.full((1, h, w), dcv, dtype=np.int64)
    allp = np.concatenate([planar[None], dc, ang])
    return allp if modes is None else allp[list(modes)]


_ALL_MODES = np.arange(67, dtype=np.int64)


def approx_satd_all(refs, org: np.ndarray, w: int, h: int) -> np.ndarray:
    """Approximate SATD (67,) int64 of all luma modes for a w x h block."""
    return approx_satd_modes(refs, org, w, h, _ALL_MODES)


def approx_satd_modes(refs, org: np.ndarray, w: int, h: int, modes) -> np.ndarray:
    """Approximate SATD (len(modes),) int64 of the listed modes of a w x h block: the exact SATD of
    approx_predictions' blocks, compiled (_approx_satd)."""
    return _approx_satd(_line(refs).astype(np.int64), np.ascontiguousarray(org, dtype=np.int64),
                        *_gather_tables32(w, h), np.asarray(modes, dtype=np.int64))
