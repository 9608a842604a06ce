"""Deblocking filter of H.266 (§8.8.3) for the SSGC VVC profile, mirrored by the encoder so that its
reconstruction equals the decoder's output when pps_deblocking_filter_disabled_flag is 0.

Profile facts that simplify §8.8.3: every CU is intra (bS = 2 on every transform-block edge),
luma transform blocks 8..64 on each side on the 8-sample grid (8..32 without the 64-point
transforms, larger CUs then split into 32-sample TUs; either way a side of 32 or more filters up to 7
samples) except the sub-partitions of ISP CUs, 4 samples on a side on the 4-sample luma grid; filter
lengths from the transform block sizes across each edge (1 where either block is 4 samples across
it), no subblock edges, one slice, QP constant (SliceQpY, chroma QP equal through the identity
table), beta/tc offsets 0. Chroma edges are those of the chroma transform blocks (an ISP CU has
one) on the 8-sample chroma grid. Vertical edges of the whole picture are filtered first, then
horizontal edges on that result; within one direction the filter lengths keep edges from touching
each other's samples.
"""

from __future__ import annotations

import numpy as np

# Table 43: tC' for Q = 0..65 and beta' for Q = 0..63
TC_TABLE = (0,) * 18 + (3, 4, 4, 4, 4, 5, 5, 5, 5, 7, 7, 8, 9, 10, 10, 11, 13, 14, 15, 17, 19, 21, 24, 25,
                        29, 33, 36, 41, 45, 51, 57, 64, 71, 80, 89, 100, 112, 125, 141, 157, 177, 198,
                        222, 250, 280, 314, 352, 395)
BETA_TABLE = (0,) * 16 + (6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 22, 24, 26, 28, 30, 32, 34,
                          36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64, 66, 68, 70, 72,
                          74, 76, 78, 80, 82, 84, 86, 88)


def _thresholds(qp: int, bd: int) -> tuple[int, int]:
    """(beta, tC) for bS = 2 at QP qp (§8.8.3.6.2 / .4): Q = qp + 2 * (bS - 1) for tC."""
    beta = BETA_TABLE[min(max(qp, 0), 63)] << (bd - 8)
    tc = TC_TABLE[min(max(qp + 2, 0), 65)]
    tc = (tc + (1 << (9 - bd))) >> (10 - bd) if bd < 10 else tc << (bd - 10)
    return beta, tc


def _clip(v, lo, hi):
    return np.minimum(np.maximum(v, lo), hi)


# the long-tap filter's (weight f, clip factor t) per output sample p_i / q_i, by maxFilterLength
_LONG_COEF = {3: ((53, 6), (32, 4), (11, 2)),
              5: ((58, 6), (45, 5), (32, 4), (19, 3), (6, 2)),
              7: ((59, 6), (50, 5), (41, 4), (32, 3), (23, 2), (14, 1), (5, 1))}


def _long_mean(p, q, lp: int, lq: int):
    """The long filter's refMiddle (§8.8.3.6.8) from samples p[i], q[i] (arrays of one shape)."""
    if lp == 5 and lq == 5:
        return (p[4] + p[3] + 2 * (p[2] + p[1] + p[0] + q[0] + q[1] + q[2]) + q[3] + q[4] + 8) >> 4
    if lp == lq:
        return (p[6] + p[5] + p[4] + p[3] + p[2] + p[1] + 2 * (p[0] + q[0]) + q[1] + q[2] + q[3] + q[4] + q[5]
                + q[6] + 8) >> 4
    if lp + lq == 12:
        return (p[5] + p[4] + p[3] + p[2] + 2 * (p[1] + p[0] + q[0] + q[1]) + q[2] + q[3] + q[4] + q[5] + 8) >> 4
    if lp + lq == 8:
        return (p[3] + p[2] + p[1] + p[0] + q[0] + q[1] + q[2] + q[3] + 4) >> 3
    if lq == 7:
        return (2 * (p[2] + p[1] + p[0] + q[0]) + p[0] + p[1] + q[1] + q[2] + q[3] + q[4] + q[5] + q[6] + 8) >> 4
    return (p[6] + p[5] + p[4] + p[3] + p[2] + p[1] + 2 * (q[2] + q[1] + q[0] + p[0]) + q[0] + q[1] + 8) >> 4


def _set(dst: np.ndarray, sel: np.ndarray, v: np.ndarray) -> None:
    """dst[sel] = v[sel]; ``sel`` (N,) selects segments, or (N, 4) lines."""
    dst[sel] = v[sel]


def _luma_filter(L: np.ndarray, tc: int, beta: int, lp: int, lq: int, hor_ctu_edge: bool,
                 maxv: int) -> np.ndarray:
    """Decisions and filtering (§8.8.3.6.1-.8) of N luma edge segments sharing their
    maxFilterLengths ``lp``/``lq``: ``L`` (N, 4, 16) int64 holds each segment's 4 lines, samples
    p7..p0 q0..q7 across the edge; returns the filtered copy. The segments of one direction never
    touch each other's samples, so deciding them all on the unfiltered picture is the standard's
    edge-by-edge order."""
    out = L.copy()
    p = [L[:, :, 7 - i] for i in range(8)]  # p[i]: (N, 4), sample p_i of each line
    q = [L[:, :, 8 + i] for i in range(8)]
    P = [out[:, :, 7 - i] for i in range(8)]  # the same samples of the output (views)
    Q = [out[:, :, 8 + i] for i in range(8)]
    dp = np.abs(p[2] - 2 * p[1] + p[0])  # per line; lines 0 and 3 decide
    dq = np.abs(q[2] - 2 * q[1] + q[0])
    d0, d3 = dp[:, 0] + dq[:, 0], dp[:, 3] + dq[:, 3]
    tc25 = (tc * 5 + 1) >> 1
    near = np.abs(p[0] - q[0]) < tc25
    large_p = lp > 3 and not hor_ctu_edge
    large_q = lq > 3
    done = np.zeros(len(L), dtype=bool)
    if large_p or large_q:
        mp = lp if large_p else 3
        mq = lq if large_q else 3
        dpl = (dp + np.abs(p[5] - 2 * p[4] + p[3]) + 1) >> 1 if large_p else dp
        dql = (dq + np.abs(q[5] - 2 * q[4] + q[3]) + 1) >> 1 if large_q else dq
        d0l, d3l = dpl[:, 0] + dql[:, 0], dpl[:, 3] + dql[:, 3]
        sp = np.abs(p[3] - p[0]) + (np.abs(p[7] - p[6] - p[5] + p[4]) if mp == 7 else 0)
        if large_p:
            sp = (sp + np.abs(p[3] - p[mp]) + 1) >> 1
        sq = np.abs(q[0] - q[3]) + (np.abs(q[4] - q[5] - q[6] + q[7]) if mq == 7 else 0)
        if large_q:
            sq = (sq + np.abs(q[3] - q[mq]) + 1) >> 1
        ok = (sp + sq < (beta * 3) >> 5) & near
        done = ((d0l + d3l < beta) & ok[:, 0] & ok[:, 3] & ((d0l << 1) < beta >> 4) & ((d3l << 1) < beta >> 4))
        if done.any():
            m = _long_mean(p, q, mp, mq)
            for src, dst, n in ((p, P, mp), (q, Q, mq)):
                ref = (src[n] + src[n - 1] + 1) >> 1
                for i, (f, t) in enumerate(_LONG_COEF[n]):
                    lim = (tc * t) >> 1
                    _set(dst[i], done, src[i] + _clip(((m * f + ref * (64 - f) + 32) >> 6) - src[i], -lim, lim))
    rest = ~done & (d0 + d3 < beta)
    if not rest.any():
        return out
    strong = np.zeros(len(L), dtype=bool)
    if lp > 2 and lq > 2:
        flat = (np.abs(p[3] - p[0]) + np.abs(q[3] - q[0]) < beta >> 3) & near
        strong = rest & flat[:, 0] & flat[:, 3] & ((d0 << 1) < beta >> 2) & ((d3 << 1) < beta >> 2)
    if strong.any():
        t1, t2, t3 = tc, 2 * tc, 3 * tc
        _set(P[0], strong, _clip((p[2] + 2 * p[1] + 2 * p[0] + 2 * q[0] + q[1] + 4) >> 3, p[0] - t3, p[0] + t3))
        _set(P[1], strong, _clip((p[2] + p[1] + p[0] + q[0] + 2) >> 2, p[1] - t2, p[1] + t2))
        _set(P[2], strong, _clip((2 * p[3] + 3 * p[2] + p[1] + p[0] + q[0] + 4) >> 3, p[2] - t1, p[2] + t1))
        _set(Q[0], strong, _clip((p[1] + 2 * p[0] + 2 * q[0] + 2 * q[1] + q[2] + 4) >> 3, q[0] - t3, q[0] + t3))
        _set(Q[1], strong, _clip((p[0] + q[0] + q[1] + q[2] + 2) >> 2, q[1] - t2, q[1] + t2))
        _set(Q[2], strong, _clip((p[0] + q[0] + q[1] + 3 * q[2] + 2 * q[3] + 4) >> 3, q[2] - t1, q[2] + t1))
    normal = rest & ~strong
    if not normal.any():
        return out
    delta = (9 * (q[0] - p[0]) - 3 * (q[1] - p[1]) + 8) >> 4
    on = normal[:, None] & (np.abs(delta) < tc * 10)  # per line
    delta = _clip(delta, -tc, tc)
    _set(P[0], on, _clip(p[0] + delta, 0, maxv))
    _set(Q[0], on, _clip(q[0] - delta, 0, maxv))
    if lp > 1 and lq > 1:
        side = (beta + (beta >> 1)) >> 3
        h2 = tc >> 1
        two_p = on & (dp[:, 0] + dp[:, 3] < side)[:, None]
        two_q = on & (dq[:, 0] + dq[:, 3] < side)[:, None]
        _set(P[1], two_p, _clip(p[1] + _clip((((p[2] + p[0] + 1) >> 1) - p[1] + delta) >> 1, -h2, h2), 0, maxv))
        _set(Q[1], two_q, _clip(q[1] + _clip((((q[2] + q[0] + 1) >> 1) - q[1] - delta) >> 1, -h2, h2), 0, maxv))
    return out


def _chroma_filter(L: np.ndarray, tc: int, beta: int, lp: int, lq: int, maxv: int) -> np.ndarray:
    """The chroma counterpart (§8.8.3.6.9-.10) of N segments of 2 lines (4:2:0: one 4-luma-line unit),
    ``L`` (N, 2, 8): p3..p0 q0..q3; ``lp``/``lq`` = 3 or 1 before the decision."""
    out = L.copy()
    p = [L[:, :, 3 - i] for i in range(4)]
    q = [L[:, :, 4 + i] for i in range(4)]
    P = [out[:, :, 3 - i] for i in range(4)]
    Q = [out[:, :, 4 + i] for i in range(4)]
    n = len(L)
    big = np.zeros(n, dtype=bool)  # segments that keep lp/lq (the others filter with 1, 1)
    if lq == 3:
        tc25 = (tc * 5 + 1) >> 1
        p3 = p[1] if lp == 1 else p[3]
        p2 = p[1] if lp == 1 else p[2]
        d = np.abs(p2 - 2 * p[1] + p[0]) + np.abs(q[2] - 2 * q[1] + q[0])
        ok = (((d << 1) < beta >> 2) & (np.abs(p3 - p[0]) + np.abs(q[0] - q[3]) < beta >> 3)
              & (np.abs(p[0] - q[0]) < tc25))
        big = (d[:, 0] + d[:, 1] < beta) & ok[:, 0] & ok[:, 1]
    sel = big[:, None] & np.ones((1, L.shape[1]), dtype=bool)
    if lq == 3 and big.any():
        if lp == 3:
            _set(P[0], sel, _clip((p[3] + p[2] + p[1] + 2 * p[0] + q[0] + q[1] + q[2] + 4) >> 3, p[0] - tc, p[0] + tc))
            _set(P[1], sel, _clip((2 * p[3] + p[2] + 2 * p[1] + p[0] + q[0] + q[1] + 4) >> 3, p[1] - tc, p[1] + tc))
            _set(P[2], sel, _clip((3 * p[3] + 2 * p[2] + p[1] + p[0] + q[0] + 4) >> 3, p[2] - tc, p[2] + tc))
            _set(Q[0], sel, _clip((p[2] + p[1] + p[0] + 2 * q[0] + q[1] + q[2] + q[3] + 4) >> 3, q[0] - tc, q[0] + tc))
        else:
            _set(P[0], sel, _clip((3 * p[1] + 2 * p[0] + q[0] + q[1] + q[2] + 4) >> 3, p[0] - tc, p[0] + tc))
            _set(Q[0], sel, _clip((2 * p[1] + p[0] + 2 * q[0] + q[1] + q[2] + q[3] + 4) >> 3, q[0] - tc, q[0] + tc))
        _set(Q[1], sel, _clip((p[1] + p[0] + q[0] + 2 * q[1] + q[2] + 2 * q[3] + 4) >> 3, q[1] - tc, q[1] + tc))
        _set(Q[2], sel, _clip((p[0] + q[0] + q[1] + 2 * q[2] + 3 * q[3] + 4) >> 3, q[2] - tc, q[2] + tc))
    weak = ~sel
    if weak.any():
        delta = _clip(((((q[0] - p[0]) << 2) + p[1] - q[1] + 4) >> 3), -tc, tc)
        _set(P[0], weak, _clip(p[0] + delta, 0, maxv))
        _set(Q[0], weak, _clip(q[0] - delta, 0, maxv))
    return out


def _filter_segments(A: np.ndarray, rows: np.ndarray, cols: np.ndarray, n_lines: int, half: int, fn) -> None:
    """Gather the windows of the segments (top row ``rows``, edge column ``cols``) of plane ``A``
    (padded by ``half`` columns each side), filter them with ``fn`` and write back the samples it
    changed (no two segments of one direction change the same sample)."""
    r, c = np.broadcast_arrays(rows[:, None, None] + np.arange(n_lines)[None, :, None],
                               cols[:, None, None] + np.arange(2 * half)[None, None, :])
    win = A[r, c]
    new = fn(win)
    ch = new != win
    A[r[ch], c[ch]] = new[ch]


def _pass(planes, starts, sizes, cstarts, csizes, qp, bd, horizontal, ctu):
    """Filter every edge of one direction in place; arrays are transposed for horizontal edges.
    ``starts`` / ``sizes``: per 4x4 unit, the first column and the width of the luma transform block
    covering it; ``cstarts`` / ``csizes``: per 8x8 unit, those of the chroma transform block in luma
    samples (all already transposed for the horizontal pass). ``planes`` are padded by 8 (luma) / 4
    (chroma) columns on each side."""
    beta, tc = _thresholds(qp, bd)
    if tc == 0:
        return
    maxv = (1 << bd) - 1
    Y = planes[0]
    h = Y.shape[0]
    w = Y.shape[1] - 16
    gw = w >> 2
    # luma edges: 4x4 units whose transform block starts at their column, but not the picture's
    ur, uc = np.nonzero(starts[:h >> 2, 1:gw] == (np.arange(1, gw) * 4)[None, :])
    uc = uc + 1
    if ur.size:
        sq = sizes[ur, uc]
        sp = sizes[ur, uc - 1]
        small = (sp <= 4) | (sq <= 4)
        lp = np.where(small, 1, np.where(sp >= 32, 7, 3))
        lq = np.where(small, 1, np.where(sq >= 32, 7, 3))
        x = uc * 4
        ctu_edge = (x % ctu == 0) if horizontal else np.zeros(x.shape, dtype=bool)
        key = lp * 100 + lq * 10 + ctu_edge
        for k in np.unique(key):
            g = key == k
            a, b, e = int(k) // 100, (int(k) // 10) % 10, bool(int(k) % 10)
            _filter_segments(Y, ur[g] * 4, x[g], 4, 8,
                             lambda win, a=a, b=b, e=e: _luma_filter(win, tc, beta, a, b, e, maxv))
    # chroma edges: on the 8-sample chroma grid (luma x multiple of 16), per 4-luma-line unit
    cw = w >> 3
    vr, vc = np.nonzero(cstarts[:h >> 3, 1:cw] == (np.arange(1, cw) * 8)[None, :])
    vc = vc + 1
    keep = (vc % 2) == 0
    vr, vc = vr[keep], vc[keep]
    if vr.size:
        sq = csizes[vr, vc]
        sp = csizes[vr, vc - 1]
        x = vc * 8
        ctu_edge = (x % ctu == 0) if horizontal else np.zeros(x.shape, dtype=bool)
        both = (sp >= 16) & (sq >= 16)  # chroma TB sizes >= 8 on both sides
        lp = np.where(both, np.where(ctu_edge, 1, 3), 1)
        lq = np.where(both, 3, 1)
        # each 8x8 luma unit is two 4-luma-line units: chroma rows 4u and 4u + 2
        rows = np.concatenate([vr * 4, vr * 4 + 2])
        cols = np.concatenate([x >> 1, x >> 1])
        lp2, lq2 = np.concatenate([lp, lp]), np.concatenate([lq, lq])
        for k in np.unique(lp2 * 10 + lq2):
            g = (lp2 * 10 + lq2) == k
            a, b = int(k) // 10, int(k) % 10
            for C in planes[1:]:
                _filter_segments(C, rows[g], cols[g], 2, 4,
                                 lambda win, a=a, b=b: _chroma_filter(win, tc, beta, a, b, maxv))


def deblock(planes: list[np.ndarray], tb_maps, qp: int, bd: int, ctu: int = 32) -> list[np.ndarray]:
    """Deblocked copies of the reconstructed (padded, coded-size) planes; ``tb_maps`` = (luma,
    chroma): luma = (x0, width, y0, height) of the luma transform block covering each 4x4 luma
    unit, chroma = the same of the chroma transform block (in luma samples) per 8x8 luma unit."""
    (x0, tw, y0, th), (cx0, ctw, cy0, cth) = tb_maps
    pads = (8, 4, 4)  # columns each side: the widest window a segment reads (p7..q7, chroma p3..q3)
    out = [np.pad(np.asarray(p, dtype=np.int64), ((0, 0), (k, k))) for p, k in zip(planes, pads)]
    _pass(out, x0, tw, cx0, ctw, qp, bd, False, ctu)
    t = [np.pad(p[:, k:-k].T, ((0, 0), (k, k))) for p, k in zip(out, pads)]
    T = np.ascontiguousarray
    _pass(t, T(y0.T), T(th.T), T(cy0.T), T(cth.T), qp, bd, True, ctu)
    return [np.ascontiguousarray(p[:, k:-k].T).astype(np.int32) for p, k in zip(t, pads)]
