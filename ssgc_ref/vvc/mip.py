"""Matrix-based intra prediction (MIP) of the SSGC VVC intra encoder: the prediction (H.266 clause
8.4.5.2.2 and its boundary-reduction and upsampling subprocesses, normative), the syntax elements
intra_mip_flag / intra_mip_transposed_flag / intra_mip_mode (§7.3.11.5, §9.3.4.2) and the fast
ranking of every MIP mode of a block (informative).

Prediction of a W x H transform block (luma only in 4:2:0) from its unfiltered, substituted reference
samples top[0..W-1] and left[0..H-1] (no [1 2 1] smoothing, no PDPC):
- sizeId 0 for 4x4, 1 for 4xN, Nx4 and 8x8, 2 otherwise; boundary size 2, 4, 4 samples per side and
  predSize 4, 4, 8 (the reduced prediction is predSize x predSize);
- boundary reduction: each side averaged down to the boundary size, (sum + half) >> log2(factor);
- the reduced boundary redT + redL (redL + redT when transposed) gives the input vector p: for
  sizeId 0 and 1, p[0] = (1 << (bitDepth - 1)) - red[0] and p[i] = red[i] - red[0]; for sizeId 2,
  p[i] = red[i + 1] - red[0] (7 inputs);
- predRed = Clip1(((sum_i mWeight[o][i] * p[i] + 32 - 32 * sum_i p[i]) >> 6) + red[0]) for each
  output o = y * predSize + x, mWeight from mip_tables.py; transposed: the predSize x predSize grid is
  transposed;
- the grid sample (x, y) lands at ((x + 1) * upHor - 1, (y + 1) * upVer - 1), upHor = W / predSize,
  upVer = H / predSize; horizontal linear upsampling first (on those rows, starting from
  left[row]), then vertical (on every column, starting from top[column]), each
  ((f - k) * before + k * after + f / 2) / f.
(FFmpeg libavcodec/vvc/intra_template.c pred_mip and its helpers follow the same steps; the order
of the two upsampling passes is the one FFmpeg uses, and FFmpeg's decoding checks it in
tests/test_vvc_mip.py.)

Syntax (sps_mip_enabled_flag 1): every intra CU starts its luma-mode syntax with intra_mip_flag,
context-coded with ctxInc 3 when W > 2H or H > 2W, else the number of the left (x0 - 1, y0) and
above (x0, y0 - 1) CUs that are available and MIP-coded (initValue 33, 49, 50, 25, shiftIdx 9, 10, 9,
6 for I slices); a MIP CU then codes intra_mip_transposed_flag (bypass) and intra_mip_mode
(truncated binary, bypass, cMax 15 / 7 / 5 by sizeId of the CU) and nothing else of the luma mode:
no intra_luma_ref_idx, no ISP, no MPM syntax. Side rules the encoder follows: a MIP CU is PLANAR for
its neighbours' MPM lists and for the chroma DM (4:2:0), LFNST reads it as PLANAR (transform set 0)
and lfnst_idx is only present when Min(W, H) >= 16.

The encoder passes a luma choice around as an int: 0..66 the regular modes, MIP_BASE + 2 * mode +
transposed a MIP mode (mip_code() / mip_decode()).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import contexts as C
from .jit import kernel
from .mode_decision import satd
from .mip_tables import MIP_SHAPES, MIP_SIZE0, MIP_SIZE1, MIP_SIZE2

__all__ = ["MIP_BASE", "forced_mip_code", "mip_candidates", "mip_code", "mip_decode", "mip_flag_ctx",
           "mip_num_modes", "mip_predict", "mip_predict_all", "mip_size_id", "write_mip"]

MIP_BASE = 1 << 10  # encoder-internal luma-choice codes at and above this value are MIP modes

_BOUNDARY = (2, 4, 4)
_PRED_SIZE = (4, 4, 8)


def mip_code(mode: int, transposed: int) -> int:
    return MIP_BASE + 2 * mode + (1 if transposed else 0)


def mip_decode(code: int) -> tuple[int, int] | None:
    """(intra_mip_mode, intra_mip_transposed_flag) of a MIP luma-choice code; None for 0..66."""
    if code < MIP_BASE:
        return None
    return (code - MIP_BASE) >> 1, (code - MIP_BASE) & 1


def mip_size_id(w: int, h: int) -> int:
    if w == 4 and h == 4:
        return 0
    if w == 4 or h == 4 or (w == 8 and h == 8):
        return 1
    return 2


def mip_num_modes(w: int, h: int) -> int:
    """Number of MIP modes (intra_mip_mode cMax + 1) of a w x h CU."""
    return MIP_SHAPES[mip_size_id(w, h)][0]


@lru_cache(maxsize=None)
def _weights(size_id: int) -> np.ndarray:
    """mWeight of every mode, int64 (modes, outputs, inputs)."""
    flat = (MIP_SIZE0, MIP_SIZE1, MIP_SIZE2)[size_id]
    return np.asarray(flat, dtype=np.int64).reshape(MIP_SHAPES[size_id])


def mip_predict_all(top: np.ndarray, left: np.ndarray, w: int, h: int, bd: int) -> np.ndarray:
    """Predictions (2 * modes, h, w) int64 of every MIP mode of a w x h block, index 2 * mode +
    transposed, from the unfiltered substituted references top[0..w-1] and left[0..h-1]."""
    n = mip_num_modes(w, h)
    return _predict(top, left, w, h, bd, np.repeat(np.arange(n, dtype=np.int64), 2), np.tile(_T01, n))


_T01 = np.array([0, 1], dtype=np.int64)


def mip_predict(top: np.ndarray, left: np.ndarray, w: int, h: int, mode: int, transposed: int,
                bd: int) -> np.ndarray:
    """The MIP prediction (h, w) int32 of one block (8.4.5.2.2)."""
    n = mip_num_modes(w, h)
    if not 0 <= mode < n:
        raise ValueError(f"intra_mip_mode {mode} outside 0..{n - 1} for a {w}x{h} block")
    one = np.array([mode], dtype=np.int64)
    return _predict(top, left, w, h, bd, one, np.array([1 if transposed else 0], dtype=np.int64))[0].astype(np.int32)


def _predict(top, left, w: int, h: int, bd: int, modes: np.ndarray, transposed: np.ndarray) -> np.ndarray:
    sid = mip_size_id(w, h)
    return _mip_kernel(np.asarray(top, dtype=np.int64), np.asarray(left, dtype=np.int64), w, h, bd,
                       _BOUNDARY[sid], _PRED_SIZE[sid], sid == 2, _weights(sid), modes, transposed)


@kernel
def _reduce(side, n, bs, out, at):
    """Boundary reduction of side[0..n-1] to bs samples, written to out[at..at + bs - 1]."""
    f = n // bs
    sh = 0
    while (2 << sh) <= f:
        sh += 1
    for j in range(bs):
        s = 0
        for i in range(j * f, (j + 1) * f):
            s += side[i]
        out[at + j] = s if f == 1 else (s + (f >> 1)) >> sh


@kernel
def _mip_kernel(top, left, w, h, bd, bs, ps, size2, wt, modes, transposed):
    """MIP predictions (len(modes), h, w) int64 of the (mode, transposed) pairs: the input vector of
    each ordering, the matrix product, the transposition of the grid, then the two upsampling
    passes (module docstring)."""
    red = np.empty((2, 2 * bs), dtype=np.int64)
    _reduce(top, w, bs, red[0], 0)
    _reduce(left, h, bs, red[0], bs)
    _reduce(left, h, bs, red[1], 0)
    _reduce(top, w, bs, red[1], bs)
    n_in = wt.shape[2]
    p = np.empty((2, n_in), dtype=np.int64)
    for t in range(2):
        for i in range(n_in):
            p[t, i] = red[t, i + 1] - red[t, 0] if size2 else red[t, i] - red[t, 0]
        if not size2:
            p[t, 0] = (1 << (bd - 1)) - red[t, 0]
    max_v = (1 << bd) - 1
    uh, uv = w // ps, h // ps
    out = np.empty((modes.shape[0], h, w), dtype=np.int64)
    grid = np.empty((ps, ps), dtype=np.int64)
    for k in range(modes.shape[0]):
        m, t = modes[k], transposed[k]
        for o in range(ps * ps):
            acc = 0
            for i in range(n_in):
                acc += (wt[m, o, i] - 32) * p[t, i]
            v = ((acc + 32) >> 6) + red[t, 0]
            v = 0 if v < 0 else (max_v if v > max_v else v)
            if t:
                grid[o % ps, o // ps] = v
            else:
                grid[o // ps, o % ps] = v
        o_k = out[k]
        # horizontal: the grid rows land on rows (y + 1) * uv - 1, interpolated from left[row]
        for y in range(ps):
            row = (y + 1) * uv - 1
            before = left[row]
            for x in range(ps):
                after = grid[y, x]
                for j in range(1, uh + 1):
                    o_k[row, x * uh + j - 1] = ((uh - j) * before + j * after + (uh >> 1)) // uh
                before = after
        # vertical: every column from top[column] through the rows just written
        if uv > 1:
            for x in range(w):
                before = top[x]
                for y in range(ps):
                    after = o_k[(y + 1) * uv - 1, x]
                    for j in range(1, uv):
                        o_k[y * uv + j - 1, x] = ((uv - j) * before + j * after + (uv >> 1)) // uv
                    before = after
    return out


def mip_flag_ctx(w: int, h: int, left_mip: bool, above_mip: bool) -> int:
    """ctxInc of intra_mip_flag: 3 for a CU more than twice as wide as tall or the reverse, else the
    number of available MIP neighbours (left at (x0 - 1, y0), above at (x0, y0 - 1))."""
    if w > 2 * h or h > 2 * w:
        return 3
    return int(left_mip) + int(above_mip)


def write_mip(sink, ctx_inc: int, w: int, h: int, mip: tuple[int, int] | None) -> None:
    """intra_mip_flag (ctxInc ``ctx_inc``) and, for a MIP CU (``mip`` = (mode, transposed)),
    intra_mip_transposed_flag and intra_mip_mode (truncated binary, cMax = modes - 1)."""
    sink.bin(C.MIP_FLAG + ctx_inc, 0 if mip is None else 1)
    if mip is None:
        return
    mode, t = mip
    n = mip_num_modes(w, h)
    if not 0 <= mode < n:
        raise ValueError(f"intra_mip_mode {mode} outside 0..{n - 1} for a {w}x{h} CU")
    sink.bypass_bits(1 if t else 0, 1)
    k = n.bit_length() - 1  # floor(log2(n))
    u = (1 << (k + 1)) - n
    if mode < u:
        sink.bypass_bits(mode, k)
    else:
        sink.bypass_bits(mode + u, k + 1)


def mip_candidates(refs, org: np.ndarray, w: int, h: int, bd: int, sqrt_lam: float, n_rd: int,
                   lim: float) -> list[int]:
    """The encoder's MIP candidates of a w x h CU (informative): up to ``n_rd`` luma-choice codes
    (both transpositions) with the lowest SATD of their exact prediction of the whole CU from
    ``refs`` + sqrt(lambda) * their approximate bits, those within ``lim`` (the regular modes' limit
    on the same measure)."""
    if not n_rd:
        return []
    preds = mip_predict_all(refs.top, refs.left, w, h, bd)
    # intra_mip_flag 1 (~2 bits: rarely set), the transposed flag, the truncated-binary mode
    bits = 3.0 + math.log2(preds.shape[0] // 2)
    cost = satd(org[None].astype(np.int64) - preds) + sqrt_lam * bits
    order = np.argsort(cost, kind="stable")[:n_rd]
    return [MIP_BASE + int(k) for k in order if cost[k] <= lim]


def forced_mip_code(forced, w: int, h: int) -> int:
    """The luma-choice code of a test hook's (intra_mip_mode, intra_mip_transposed_flag), checked."""
    n = mip_num_modes(w, h)
    if (not isinstance(forced, tuple) or len(forced) != 2 or forced[1] not in (0, 1)
            or not 0 <= forced[0] < n):
        raise ValueError(f"forced MIP {forced!r} is not (mode 0..{n - 1}, transposed 0/1)")
    return mip_code(*forced)
