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


def _c3(lo, hi, v):
    return lo if v < lo else (hi if v > hi else v)


def _luma_large(P, Q, tc, lp, lq):
    """Long-tap filter of lines P/Q (lists p0.., q0..) with maxFilterLength lp/lq (§8.8.3.6.8)."""
    p, q = P[:], Q[:]
    if lp == 5 and lq == 5:
        m = (p[4] + p[3] + 2 * (p[2] + p[1] + p[0] + q[0] + q[1] + q[2]) + q[3] + q[4] + 8) >> 4
    elif lp == lq:
        m = (p[6] + p[5] + p[4] + p[3] + p[2] + p[1] + 2 * (p[0] + q[0]) + q[1] + q[2] + q[3] + q[4] + q[5] + q[6] + 8) >> 4
    elif lp + lq == 12:
        m = (p[5] + p[4] + p[3] + p[2] + 2 * (p[1] + p[0] + q[0] + q[1]) + q[2] + q[3] + q[4] + q[5] + 8) >> 4
    elif lp + lq == 8:
        m = (p[3] + p[2] + p[1] + p[0] + q[0] + q[1] + q[2] + q[3] + 4) >> 3
    elif lq == 7:
        m = (2 * (p[2] + p[1] + p[0] + q[0]) + p[0] + p[1] + q[1] + q[2] + q[3] + q[4] + q[5] + q[6] + 8) >> 4
    else:
        m = (p[6] + p[5] + p[4] + p[3] + p[2] + p[1] + 2 * (q[2] + q[1] + q[0] + p[0]) + q[0] + q[1] + 8) >> 4
    coef = {3: ((53, 6), (32, 4), (11, 2)),
            5: ((58, 6), (45, 5), (32, 4), (19, 3), (6, 2)),
            7: ((59, 6), (50, 5), (41, 4), (32, 3), (23, 2), (14, 1), (5, 1))}
    for src, dst, n in ((p, P, lp), (q, Q, lq)):
        ref = (src[n] + src[n - 1] + 1) >> 1
        for i, (f, t) in enumerate(coef[n]):
            lim = (tc * t) >> 1
            dst[i] = src[i] + _c3(-lim, lim, ((m * f + ref * (64 - f) + 32) >> 6) - src[i])


def _luma_segment(A, r, x, tc, beta, lp, lq, hor_ctu_edge, maxv):
    """Decisions and filtering of the 4 lines r..r+3 across the vertical edge at column x of A."""
    lo = max(x - 8, 0)  # an edge 4 samples from the picture's left (top) side: only p0..p3 exist
    lines = [(A[r + k, lo:x][::-1].tolist(), A[r + k, x:x + 8].tolist()) for k in range(4)]
    P0, Q0 = lines[0]
    P3, Q3 = lines[3]
    dp0 = abs(P0[2] - 2 * P0[1] + P0[0])
    dq0 = abs(Q0[2] - 2 * Q0[1] + Q0[0])
    dp3 = abs(P3[2] - 2 * P3[1] + P3[0])
    dq3 = abs(Q3[2] - 2 * Q3[1] + Q3[0])
    d0, d3 = dp0 + dq0, dp3 + dq3
    tc25 = (tc * 5 + 1) >> 1
    large_p = lp > 3 and not hor_ctu_edge
    large_q = lq > 3
    done = False
    if large_p or large_q:
        mp = lp if large_p else 3
        mq = lq if large_q else 3
        dp0l = (dp0 + abs(P0[5] - 2 * P0[4] + P0[3]) + 1) >> 1 if large_p else dp0
        dq0l = (dq0 + abs(Q0[5] - 2 * Q0[4] + Q0[3]) + 1) >> 1 if large_q else dq0
        dp3l = (dp3 + abs(P3[5] - 2 * P3[4] + P3[3]) + 1) >> 1 if large_p else dp3
        dq3l = (dq3 + abs(Q3[5] - 2 * Q3[4] + Q3[3]) + 1) >> 1 if large_q else dq3
        d0l, d3l = dp0l + dq0l, dp3l + dq3l
        if d0l + d3l < beta:
            def s_p(L):
                s = abs(L[3] - L[0]) + (abs(L[7] - L[6] - L[5] + L[4]) if mp == 7 else 0)
                return (s + abs(L[3] - L[mp]) + 1) >> 1 if large_p else s

            def s_q(L):
                s = abs(L[0] - L[3]) + (abs(L[4] - L[5] - L[6] + L[7]) if mq == 7 else 0)
                return (s + abs(L[3] - L[mq]) + 1) >> 1 if large_q else s

            if (s_p(P0) + s_q(Q0) < (beta * 3) >> 5 and abs(P0[0] - Q0[0]) < tc25
                    and s_p(P3) + s_q(Q3) < (beta * 3) >> 5 and abs(P3[0] - Q3[0]) < tc25
                    and (d0l << 1) < beta >> 4 and (d3l << 1) < beta >> 4):
                for k, (P, Q) in enumerate(lines):
                    _luma_large(P, Q, tc, mp, mq)
                done = True
    if not done:
        if d0 + d3 >= beta:
            return
        strong = (lp > 2 and lq > 2
                  and abs(P0[3] - P0[0]) + abs(Q0[3] - Q0[0]) < beta >> 3 and abs(P0[0] - Q0[0]) < tc25
                  and abs(P3[3] - P3[0]) + abs(Q3[3] - Q3[0]) < beta >> 3 and abs(P3[0] - Q3[0]) < tc25
                  and (d0 << 1) < beta >> 2 and (d3 << 1) < beta >> 2)
        if strong:
            for P, Q in lines:
                p, q = P[:], Q[:]
                P[0] = _c3(p[0] - 3 * tc, p[0] + 3 * tc, (p[2] + 2 * p[1] + 2 * p[0] + 2 * q[0] + q[1] + 4) >> 3)
                P[1] = _c3(p[1] - 2 * tc, p[1] + 2 * tc, (p[2] + p[1] + p[0] + q[0] + 2) >> 2)
                P[2] = _c3(p[2] - tc, p[2] + tc, (2 * p[3] + 3 * p[2] + p[1] + p[0] + q[0] + 4) >> 3)
                Q[0] = _c3(q[0] - 3 * tc, q[0] + 3 * tc, (p[1] + 2 * p[0] + 2 * q[0] + 2 * q[1] + q[2] + 4) >> 3)
                Q[1] = _c3(q[1] - 2 * tc, q[1] + 2 * tc, (p[0] + q[0] + q[1] + q[2] + 2) >> 2)
                Q[2] = _c3(q[2] - tc, q[2] + tc, (p[0] + q[0] + q[1] + 3 * q[2] + 2 * q[3] + 4) >> 3)
        else:
            side = (beta + (beta >> 1)) >> 3
            two_p = lp > 1 and lq > 1 and dp0 + dp3 < side
            two_q = lp > 1 and lq > 1 and dq0 + dq3 < side
            for P, Q in lines:
                p, q = P[:], Q[:]
                delta = (9 * (q[0] - p[0]) - 3 * (q[1] - p[1]) + 8) >> 4
                if abs(delta) >= tc * 10:
                    continue
                delta = _c3(-tc, tc, delta)
                P[0] = _c3(0, maxv, p[0] + delta)
                Q[0] = _c3(0, maxv, q[0] - delta)
                if two_p:
                    dp = _c3(-(tc >> 1), tc >> 1, (((p[2] + p[0] + 1) >> 1) - p[1] + delta) >> 1)
                    P[1] = _c3(0, maxv, p[1] + dp)
                if two_q:
                    dq = _c3(-(tc >> 1), tc >> 1, (((q[2] + q[0] + 1) >> 1) - q[1] - delta) >> 1)
                    Q[1] = _c3(0, maxv, q[1] + dq)
    for k, (P, Q) in enumerate(lines):
        A[r + k, lo:x] = P[::-1]
        A[r + k, x:x + 8] = Q


def _chroma_segment(A, r, x, tc, beta, lp, lq, maxv):
    """The 2 chroma lines r, r+1 (4:2:0: one 4-luma-line unit) across the vertical edge at column x."""
    lines = [(A[r + k, x - 4:x][::-1].tolist(), A[r + k, x:x + 4].tolist()) for k in range(2)]
    if lq == 3:
        tc25 = (tc * 5 + 1) >> 1
        ds = []
        for P, Q in lines:
            p3 = P[1] if lp == 1 else P[3]
            p2 = P[1] if lp == 1 else P[2]
            ds.append((abs(p2 - 2 * P[1] + P[0]) + abs(Q[2] - 2 * Q[1] + Q[0]), p3, P[0], Q[0], Q[3]))
        if ds[0][0] + ds[1][0] < beta:
            ok = all((d << 1) < beta >> 2 and abs(p3 - p0) + abs(q0 - q3) < beta >> 3 and abs(p0 - q0) < tc25
                     for d, p3, p0, q0, q3 in ds)
            if not ok:
                lp = lq = 1
        else:
            lp = lq = 1
    for P, Q in lines:
        p, q = P[:], Q[:]
        if lp == 3 and lq == 3:
            P[0] = _c3(p[0] - tc, p[0] + tc, (p[3] + p[2] + p[1] + 2 * p[0] + q[0] + q[1] + q[2] + 4) >> 3)
            P[1] = _c3(p[1] - tc, p[1] + tc, (2 * p[3] + p[2] + 2 * p[1] + p[0] + q[0] + q[1] + 4) >> 3)
            P[2] = _c3(p[2] - tc, p[2] + tc, (3 * p[3] + 2 * p[2] + p[1] + p[0] + q[0] + 4) >> 3)
            Q[0] = _c3(q[0] - tc, q[0] + tc, (p[2] + p[1] + p[0] + 2 * q[0] + q[1] + q[2] + q[3] + 4) >> 3)
            Q[1] = _c3(q[1] - tc, q[1] + tc, (p[1] + p[0] + q[0] + 2 * q[1] + q[2] + 2 * q[3] + 4) >> 3)
            Q[2] = _c3(q[2] - tc, q[2] + tc, (p[0] + q[0] + q[1] + 2 * q[2] + 3 * q[3] + 4) >> 3)
        elif lq == 3:
            P[0] = _c3(p[0] - tc, p[0] + tc, (3 * p[1] + 2 * p[0] + q[0] + q[1] + q[2] + 4) >> 3)
            Q[0] = _c3(q[0] - tc, q[0] + tc, (2 * p[1] + p[0] + 2 * q[0] + q[1] + q[2] + q[3] + 4) >> 3)
            Q[1] = _c3(q[1] - tc, q[1] + tc, (p[1] + p[0] + q[0] + 2 * q[1] + q[2] + 2 * q[3] + 4) >> 3)
            Q[2] = _c3(q[2] - tc, q[2] + tc, (p[0] + q[0] + q[1] + 2 * q[2] + 3 * q[3] + 4) >> 3)
        else:
            delta = _c3(-tc, tc, ((((q[0] - p[0]) << 2) + p[1] - q[1] + 4) >> 3))
            P[0] = _c3(0, maxv, p[0] + delta)
            Q[0] = _c3(0, maxv, q[0] - delta)
    for k, (P, Q) in enumerate(lines):
        A[r + k, x - 4:x] = P[::-1]
        A[r + k, x:x + 4] = Q


def _pass(planes, starts, sizes, cstarts, csizes, qp, bd, horizontal, ctu):
    """Filter every edge of one direction in place; arrays are transposed for horizontal edges.
    ``starts`` / ``sizes``: per 4x4 unit, the first column and the width of the luma transform block
    covering it; ``cstarts`` / ``csizes``: per 8x8 unit, those of the chroma transform block in luma
    samples (all already transposed for the horizontal pass)."""
    beta, tc = _thresholds(qp, bd)
    if tc == 0:
        return
    maxv = (1 << bd) - 1
    Y = planes[0]
    S = sizes
    h, w = Y.shape
    for x in range(4, w, 4):
        ctu_edge = horizontal and x % ctu == 0
        for r in range(0, h, 4):
            if starts[r >> 2, x >> 2] != x:
                continue  # not a transform block edge
            sq = int(S[r >> 2, x >> 2])
            sp = int(S[r >> 2, (x - 1) >> 2])
            if sp <= 4 or sq <= 4:
                lp = lq = 1
            else:
                lp = 7 if sp >= 32 else 3
                lq = 7 if sq >= 32 else 3
            _luma_segment(Y, r, x, tc, beta, lp, lq, ctu_edge, maxv)
        if x % 16 == 0:  # chroma edges lie on the 8-sample chroma grid
            xc = x >> 1
            for r in range(0, h, 4):
                if cstarts[r >> 3, x >> 3] != x:
                    continue
                sq = int(csizes[r >> 3, x >> 3])
                sp = int(csizes[r >> 3, (x - 1) >> 3])
                if sp >= 16 and sq >= 16:  # chroma TB sizes >= 8 on both sides
                    lp, lq = (1 if ctu_edge else 3), 3
                else:
                    lp = lq = 1
                for C in planes[1:]:
                    _chroma_segment(C, r >> 1, xc, tc, beta, lp, lq, maxv)


def deblock(planes: list[np.ndarray], tb_maps, qp: int, bd: int, ctu: int = 32) -> list[np.ndarray]:
    """Deblocked copies of the reconstructed (padded, coded-size) planes; ``tb_maps`` = (luma,
    chroma): luma = (x0, width, y0, height) of the luma transform block covering each 4x4 luma
    unit, chroma = the same of the chroma transform block (in luma samples) per 8x8 luma unit."""
    (x0, tw, y0, th), (cx0, ctw, cy0, cth) = tb_maps
    out = [np.array(p, dtype=np.int64) for p in planes]
    _pass(out, x0, tw, cx0, ctw, qp, bd, False, ctu)
    t = [np.ascontiguousarray(p.T) for p in out]
    T = np.ascontiguousarray
    _pass(t, T(y0.T), T(th.T), T(cy0.T), T(cth.T), qp, bd, True, ctu)
    return [np.ascontiguousarray(p.T).astype(np.int32) for p in t]
