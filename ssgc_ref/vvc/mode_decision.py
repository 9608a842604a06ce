"""Fast intra mode pre-selection (informative, encoder only).

All 67 luma modes (or a chroma mode list) of a square block are predicted at once with a simplified
predictor: one gather from the block's reference line with 2-tap (1/32 sample) interpolation, no
reference filtering and no PDPC; planar and DC exact without PDPC. The SATD of these approximate
predictions ranks the modes; only the few best go through the exact (normative) prediction.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intra_pred import intra_pred_angle, inv_angle


def _hadamard(n: int) -> np.ndarray:
    h = np.array([[1]], dtype=np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


# float64 so that the products go through BLAS; exact, integer sums stay far below 2^53
_H4, _H8 = _hadamard(4).astype(np.float64), _hadamard(8).astype(np.float64)


def satd(diff: np.ndarray) -> np.ndarray:
    """Sum of absolute Hadamard-transformed differences of (..., s, s) integer blocks (8x8 or 4x4
    tiles), int64 (computed exactly in float64)."""
    s = diff.shape[-1]
    t = 8 if s >= 8 else 4
    hm = _H8 if t == 8 else _H4
    lead = diff.shape[:-2]
    b = diff.astype(np.float64).reshape(lead + (s // t, t, s // t, t)).swapaxes(-3, -2)
    c = hm @ b @ hm
    return np.abs(c).sum(axis=(-4, -3, -2, -1)).astype(np.int64)


@lru_cache(maxsize=None)
def _gather_tables(s: int):
    """(idx0, idx1, frac) of shape (65, s, s) for modes 2..66 into the line
    L = [left[2s-1] .. left[0], corner, top[0] .. top[2s-1]] (corner at index 2s)."""
    c = 2 * s
    yy, xx = np.mgrid[0:s, 0:s]
    i0s, i1s, fs = [], [], []
    for mode in range(2, 67):
        a = intra_pred_angle(mode)
        vertical = mode >= 34
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
            out.append(np.clip(li, 0, 4 * s))
        i0s.append(out[0])
        i1s.append(out[1])
        fs.append(f)
    return np.stack(i0s), np.stack(i1s), np.stack(fs).astype(np.int64)


def approx_predictions(refs, s: int, modes=None) -> np.ndarray:
    """Approximate predictions (len(modes), s, s) int64 for the given modes (default 0..66)."""
    top = refs.top.astype(np.int64)
    left = refs.left.astype(np.int64)
    line = np.concatenate([left[::-1], [refs.corner], top])
    i0, i1, f = _gather_tables(s)
    ang = ((32 - f) * line[i0] + f * line[i1] + 16) >> 5
    log2 = s.bit_length() - 1
    y = np.arange(s)[:, None]
    x = np.arange(s)[None, :]
    planar = (((s - 1 - y) * top[None, :s] + (y + 1) * left[s]) * s
              + ((s - 1 - x) * left[:s, None] + (x + 1) * top[s]) * s + s * s) >> (2 * log2 + 1)
    dc = np.full((1, s, s), (top[:s].sum() + left[:s].sum() + s) >> (log2 + 1), dtype=np.int64)
    allp = np.concatenate([planar[None], dc, ang])
    return allp if modes is None else allp[list(modes)]


def _tile_hadamard(s: int) -> np.ndarray:
    """Matrix of the tile-wise Hadamard transform (8x8 tiles, 4x4 for s = 4) of a flattened s x s block."""
    t = 8 if s >= 8 else 4
    h = _hadamard(t).astype(np.float64)
    ht = np.kron(h, h)  # on a flattened t x t tile
    n = s // t
    # permutation from tile-major order to raster order
    idx = np.arange(s * s).reshape(n, t, n, t).transpose(0, 2, 1, 3).reshape(-1)
    full = np.kron(np.eye(n * n), ht)
    out = np.zeros((s * s, s * s))
    out[:, idx] = full
    return out


@lru_cache(maxsize=None)
def satd_operator(s: int):
    """(G, T): T (s*s, s*s) tile Hadamard; G (67, s*s, 4s+1) float32 = T applied to the linear map from
    the reference line to each mode's approximate prediction, so that the approximate SATD of all
    67 modes is |T @ org - G @ line|_1 (rounding of the approximate predictor ignored)."""
    n = 4 * s + 1
    c = 2 * s
    m = np.zeros((67, s * s, n))
    i0, i1, f = _gather_tables(s)
    rows = np.arange(s * s)
    for k in range(65):
        fk = f[k].reshape(-1) / 32.0
        np.add.at(m[k + 2], (rows, i0[k].reshape(-1)), 1.0 - fk)
        np.add.at(m[k + 2], (rows, i1[k].reshape(-1)), fk)
    log2 = s.bit_length() - 1
    for y in range(s):
        for x in range(s):
            r = y * s + x
            w = 1.0 / (1 << (2 * log2 + 1))
            # planar: ((s-1-y) top[x] + (y+1) left[s]) s + ((s-1-x) left[y] + (x+1) top[s]) s
            m[0, r, c + 1 + x] += (s - 1 - y) * s * w
            m[0, r, c - 1 - s] += (y + 1) * s * w
            m[0, r, c - 1 - y] += (s - 1 - x) * s * w
            m[0, r, c + 1 + s] += (x + 1) * s * w
    m[1, :, c + 1:c + 1 + s] = 1.0 / (2 * s)
    m[1, :, c - s:c] = 1.0 / (2 * s)
    t = _tile_hadamard(s)
    g = np.einsum("ij,mjk->mik", t, m).astype(np.float32)
    return g, t.astype(np.float32)


def approx_satd_all(refs, org: np.ndarray, s: int) -> np.ndarray:
    """Approximate SATD (67,) of all luma modes for a square block (s <= 16)."""
    g, t = satd_operator(s)
    line = np.concatenate([refs.left[::-1], [refs.corner], refs.top]).astype(np.float32)
    to = t @ org.reshape(-1).astype(np.float32)
    gl = (g.reshape(-1, g.shape[2]) @ line).reshape(67, -1)  # one matrix-vector product (BLAS)
    return np.abs(to[None, :] - gl).sum(axis=1)


def approx_satd_modes(refs, org: np.ndarray, s: int, modes) -> np.ndarray:
    """Approximate SATD of the listed modes (any square size; s = 32 falls back to gathering)."""
    if s > 16:
        return satd(org[None].astype(np.int64) - approx_predictions(refs, s, modes))
    g, t = satd_operator(s)
    line = np.concatenate([refs.left[::-1], [refs.corner], refs.top]).astype(np.float32)
    to = t @ org.reshape(-1).astype(np.float32)
    return np.abs(to[None, :] - g[list(modes)] @ line).sum(axis=1)
