"""Fast intra mode pre-selection (informative, encoder only).

All 67 luma modes (or a chroma mode list) of a block (square or not) are predicted at once with a simplified
predictor: one gather from the block's reference line with 2-tap (1/32 sample) interpolation, no
reference filtering and no PDPC; planar and DC exact without PDPC. The SATD of these approximate
predictions ranks the modes; only the few best go through the exact (normative) prediction.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intra_pred import intra_pred_angle, inv_angle, wide_angle_mode


def _hadamard(n: int) -> np.ndarray:
    h = np.array([[1]], dtype=np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


# float64 so that the products go through BLAS; exact, integer sums stay far below 2^53
_H4, _H8 = _hadamard(4).astype(np.float64), _hadamard(8).astype(np.float64)


def satd(diff: np.ndarray) -> np.ndarray:
    """Sum of absolute Hadamard-transformed differences of (..., h, w) integer blocks (8x8 tiles, 4x4
    when a side is 4), int64 (computed exactly in float64)."""
    h, w = diff.shape[-2:]
    t = 8 if min(h, w) >= 8 else 4
    hm = _H8 if t == 8 else _H4
    lead = diff.shape[:-2]
    b = diff.astype(np.float64).reshape(lead + (h // t, t, w // t, t)).swapaxes(-3, -2)
    c = hm @ b @ hm
    return np.abs(c).sum(axis=(-4, -3, -2, -1)).astype(np.int64)


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


def _tile_hadamard(w: int, h: int) -> np.ndarray:
    """Matrix of the tile-wise Hadamard transform (8x8 tiles, 4x4 when a side is 4) of a flattened
    h x w block."""
    t = 8 if min(w, h) >= 8 else 4
    hd = _hadamard(t).astype(np.float64)
    ht = np.kron(hd, hd)  # on a flattened t x t tile
    nh, nw = h // t, w // t
    # permutation from tile-major order to raster order
    idx = np.arange(h * w).reshape(nh, t, nw, t).transpose(0, 2, 1, 3).reshape(-1)
    full = np.kron(np.eye(nh * nw), ht)
    out = np.zeros((h * w, h * w))
    out[:, idx] = full
    return out


@lru_cache(maxsize=None)
def satd_operator(w: int, h: int):
    """(G, T): T (h*w, h*w) tile Hadamard; G (67, h*w, 2w+2h+1) float32 = T applied to the linear map
    from the reference line to each mode's approximate prediction, so that the approximate SATD of
    all 67 modes is |T @ org - G @ line|_1 (rounding of the approximate predictor ignored)."""
    n = 2 * (w + h) + 1
    c = 2 * h
    m = np.zeros((67, h * w, n))
    i0, i1, f = _gather_tables(w, h)
    rows = np.arange(h * w)
    for k in range(65):
        fk = f[k].reshape(-1) / 32.0
        np.add.at(m[k + 2], (rows, i0[k].reshape(-1)), 1.0 - fk)
        np.add.at(m[k + 2], (rows, i1[k].reshape(-1)), fk)
    lw, lh = w.bit_length() - 1, h.bit_length() - 1
    sc = 1.0 / (1 << (lw + lh + 1))
    yy, xx = (a.reshape(-1) for a in np.mgrid[0:h, 0:w])
    # planar: ((h-1-y) top[x] + (y+1) left[h]) w + ((w-1-x) left[y] + (x+1) top[w]) h
    np.add.at(m[0], (rows, c + 1 + xx), (h - 1 - yy) * w * sc)
    np.add.at(m[0], (rows, np.full_like(rows, c - 1 - h)), (yy + 1) * w * sc)
    np.add.at(m[0], (rows, c - 1 - yy), (w - 1 - xx) * h * sc)
    np.add.at(m[0], (rows, np.full_like(rows, c + 1 + w)), (xx + 1) * h * sc)
    if w >= h:
        m[1, :, c + 1:c + 1 + w] += 1.0 / (2 * w if w == h else w)
    if h >= w:
        m[1, :, c - h:c] += 1.0 / (2 * h if w == h else h)
    t = _tile_hadamard(w, h)
    # one matrix product (BLAS) instead of einsum (2-3x slower): exact either way, the entries
    # being dyadic fractions with few bits and the sums short
    hw = h * w
    g = np.ascontiguousarray((t @ m.transpose(1, 0, 2).reshape(hw, -1)).reshape(hw, 67, n).transpose(1, 0, 2),
                             dtype=np.float32)
    return g, t.astype(np.float32)


def approx_satd_all(refs, org: np.ndarray, w: int, h: int) -> np.ndarray:
    """Approximate SATD (67,) of all luma modes for a w x h block."""
    if w * h > 256:
        return satd(org[None].astype(np.int64) - approx_predictions(refs, w, h))
    g, t = satd_operator(w, h)
    line = _line(refs).astype(np.float32)
    to = t @ org.reshape(-1).astype(np.float32)
    gl = (g.reshape(-1, g.shape[2]) @ line).reshape(67, -1)  # one matrix-vector product (BLAS)
    return np.abs(to[None, :] - gl).sum(axis=1)


def approx_satd_modes(refs, org: np.ndarray, w: int, h: int, modes) -> np.ndarray:
    """Approximate SATD of the listed modes of a w x h block."""
    if w * h > 256:
        return satd(org[None].astype(np.int64) - approx_predictions(refs, w, h, modes))
    g, t = satd_operator(w, h)
    line = _line(refs).astype(np.float32)
    to = t @ org.reshape(-1).astype(np.float32)
    return np.abs(to[None, :] - g[list(modes)] @ line).sum(axis=1)
