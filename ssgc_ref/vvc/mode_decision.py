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
