"""Low-frequency non-separable transform (LFNST) of H.266: the decoder's inverse (clause 8.7.4.2/8.7.4.3,
normative, mirrored bit-exactly), an informative forward transform for the encoder, and the conditions
under which coding_unit() carries lfnst_idx (§7.3.11.5, with LfnstDcOnly / LfnstZeroOutSigCoeffFlag as
residual_coding() sets them, §7.3.11.11).

Decoder order for one transform block with lfnst_idx > 0 (after scaling, before the DCT-II):
- nonZeroSize = 8 for 4x4 and 8x8 blocks, else 16; u[i] = d at the i-th position of the 4x4 up-right
  diagonal scan, i < nonZeroSize;
- v[j] = Clip3(-32768, 32767, (sum_i K[i][j] u[i] + 64) >> 7) with the kernel K of the transform set
  lfnstTrSetIdx(predModeIntra) and candidate lfnst_idx: 16 outputs (a side of 4) or 48 (both >= 8);
- v is placed back into the top-left 4x4 (16 outputs) or the top-left 8x8 minus its bottom-right 4x4
  (48): row-major (v[x + (y << log2LfnstSize)] for rows y < 4, then the 4-wide rows below) when
  predModeIntra <= 34, transposed (columns instead of rows) above 34.
predModeIntra is the wide-angle-mapped luma mode (mapped with the transform block's size, or the
coding block's with ISP), so wide angles below 0 use set 1 and those above 66 the transposed placement.

In a single tree the secondary transform applies to the luma blocks only, but every block of the CU,
chroma included, takes part in the signalling conditions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from .intmath import clip3
from .intra_pred import wide_angle_mode
from .jit import kernel
from .lfnst_kernels import KERNEL_4X4, KERNEL_8X8

__all__ = ["ISP_HOR_SPLIT", "ISP_NO_SPLIT", "ISP_VER_SPLIT", "forward_lfnst", "inverse_lfnst", "lfnst_pred_mode",
           "lfnst_signalled", "lfnst_size", "residual_flags", "tr_set_idx", "write_lfnst_idx"]

COEFF_MIN, COEFF_MAX = -(1 << 15), (1 << 15) - 1
# IntraSubPartitionsSplitType values (§7.4.12.5)
ISP_NO_SPLIT, ISP_HOR_SPLIT, ISP_VER_SPLIT = 0, 1, 2

# the first 16 positions (x, y) of the 4x4 up-right diagonal scan (§6.5.3)
_DIAG4 = ((0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (2, 0), (0, 3), (1, 2), (2, 1), (3, 0), (1, 3), (2, 2), (3, 1),
          (2, 3), (3, 2), (3, 3))
_SCAN_POS4 = np.zeros((4, 4), dtype=np.int64)  # [y, x]: the diagonal-scan position
for _i, (_x, _y) in enumerate(_DIAG4):
    _SCAN_POS4[_y, _x] = _i


def tr_set_idx(pred_mode_intra: int) -> int:
    """lfnstTrSetIdx of a wide-angle-mapped intra mode (-14..80), the table of §8.7.4.2."""
    m = pred_mode_intra
    if m < 0:
        return 1
    if m <= 1:
        return 0
    if m <= 12:
        return 1
    if m <= 23:
        return 2
    if m <= 44:
        return 3
    if m <= 55:
        return 2
    return 1


def lfnst_pred_mode(luma_mode: int, w: int, h: int) -> int:
    """predModeIntra for the kernel choice: the luma mode wide-angle mapped for a w x h block (the
    transform block, or the coding block under ISP)."""
    return wide_angle_mode(luma_mode, w, h) if luma_mode > 1 else luma_mode


@lru_cache(maxsize=None)
def _kernel(set_idx: int, idx: int, big: bool) -> np.ndarray:
    """K[i][j] (16, 48 or 16) int64, read-only."""
    n = 48 if big else 16
    flat = KERNEL_8X8 if big else KERNEL_4X4
    off = (set_idx * 2 + idx - 1) * 16 * n
    k = np.array(flat[off:off + 16 * n], dtype=np.int64).reshape(16, n)
    k.setflags(write=False)
    return k


@lru_cache(maxsize=None)
def _layout(w: int, h: int, transposed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """(in_rows, in_cols, out_rows, out_cols, nonZeroSize, big) of a w x h block: the diagonal-scan input
    positions and the output positions of v[0..n-1] in placement order."""
    big = w >= 8 and h >= 8
    nz = 8 if (w, h) in ((4, 4), (8, 8)) else 16
    n = 8 if big else 4
    pos = []
    for y in range(n):
        for x in range(n if y < 4 else 4):
            pos.append((y, x))  # v index order of the row-major placement
    if transposed:
        pos = [(x, y) for y, x in pos]
    ins = _DIAG4[:nz]
    return (np.array([p[1] for p in ins]), np.array([p[0] for p in ins]), np.array([p[0] for p in pos]),
            np.array([p[1] for p in pos]), nz, big)


def _check(block: np.ndarray, lfnst_idx: int) -> tuple[int, int]:
    if block.ndim != 2:
        raise ValueError(f"coefficient block must be 2-D, got shape {block.shape}")
    h, w = block.shape
    if min(w, h) < 4:
        raise ValueError(f"LFNST needs both sides >= 4, got {w}x{h}")
    if lfnst_idx not in (1, 2):
        raise ValueError(f"lfnst_idx {lfnst_idx} is not 1 or 2")
    return h, w


def inverse_lfnst(d: np.ndarray, pred_mode_intra: int, lfnst_idx: int) -> np.ndarray:
    """Scaled coefficients d (h, w) -> the DCT-II input (h, w) int32, bit-exact per 8.7.4.2/8.7.4.3.
    Positions outside the LFNST output region are passed through (zero in a conforming block)."""
    h, w = _check(d, lfnst_idx)
    iy, ix, oy, ox, nz, big = _layout(w, h, pred_mode_intra > 34)
    k = _kernel(tr_set_idx(pred_mode_intra), lfnst_idx, big)
    u = np.asarray(d, dtype=np.int64)[iy, ix]
    v = clip3((u @ k[:nz] + 64) >> 7, COEFF_MIN, COEFF_MAX)
    out = np.array(d, dtype=np.int32)
    out[oy, ox] = v
    return out


@lru_cache(maxsize=None)
def _forward_matrix(set_idx: int, idx: int, big: bool, nz: int) -> np.ndarray:
    """round(2^14 * 128 (K K^T)^-1 K) over the first nz kernel rows, int64: the least-squares inverse of
    the decoder's v = K^T u / 128 (the integer kernels are orthogonal only to ~1%, so the transpose
    alone would leave errors of a few percent), in integers so that every machine encodes alike."""
    k = _kernel(set_idx, idx, big)[:nz].astype(np.float64)
    f: np.ndarray = np.rint(np.linalg.solve(k @ k.T, k) * (128 << _FWD_SHIFT)).astype(np.int64)
    f.setflags(write=False)
    return f


_FWD_SHIFT = 14


def forward_lfnst(c: np.ndarray, pred_mode_intra: int, lfnst_idx: int) -> np.ndarray:
    """Informative forward LFNST: DCT-II coefficients c (h, w) -> secondary coefficients (h, w) int32:
    u = the least-squares solution of inverse_lfnst's v = c over the output region, rounded, at the
    first nonZeroSize diagonal-scan positions of the top-left 4x4; every other coefficient is zeroed
    (what the decoder requires). inverse_lfnst(forward_lfnst(c)) is c's projection on the kernel's
    span to within about one unit."""
    h, w = _check(c, lfnst_idx)
    iy, ix, oy, ox, nz, big = _layout(w, h, pred_mode_intra > 34)
    f = _forward_matrix(tr_set_idx(pred_mode_intra), lfnst_idx, big, nz)
    x = np.asarray(c, dtype=np.int64)[oy, ox]
    u = clip3((f @ x + (1 << (_FWD_SHIFT - 1))) >> _FWD_SHIFT, COEFF_MIN, COEFF_MAX)
    out = np.zeros((h, w), dtype=np.int32)
    out[iy, ix] = u
    return out


def residual_flags(levels: np.ndarray) -> tuple[bool, bool]:
    """What one coded block's residual_coding() does to the CU's flags (§7.3.11.11): (clears
    LfnstDcOnly, clears LfnstZeroOutSigCoeffFlag). With lastSubBlock / lastScanPos of the last
    significant coefficient in the block's diagonal scan (4x4 sub-blocks, blocks >= 4x4):
    LfnstDcOnly = 0 when lastSubBlock == 0 and lastScanPos > 0; LfnstZeroOutSigCoeffFlag = 0 when
    lastSubBlock > 0, or lastScanPos > 7 in a 4x4 or 8x8 block."""
    h, w = levels.shape
    last = _last_scan_pos4(levels, _SCAN_POS4)
    if last < 0:
        return False, last == -2  # -2: lastSubBlock > 0
    return last > 0, last > 7 and (w, h) in ((4, 4), (8, 8))


@kernel
def _last_scan_pos4(levels, scan_pos4) -> int:
    """The largest diagonal-scan position of a non-zero level, when they all lie in the top-left 4x4
    sub-block; -1 when there is none, -2 when one lies outside it (compiled: called per trial)."""
    h, w = levels.shape
    last = -1
    for y in range(h):
        for x in range(w):
            if levels[y, x]:
                if y >= 4 or x >= 4:
                    return -2
                if scan_pos4[y, x] > last:
                    last = scan_pos4[y, x]
    return last


def lfnst_size(cb_w: int, cb_h: int, isp_split: int = ISP_NO_SPLIT) -> tuple[int, int]:
    """(lfnstWidth, lfnstHeight) of a luma/single-tree CU (§7.3.11.5): the CU size, divided by
    NumIntraSubPartitions (2 for 4x8/8x4, else 4) across an ISP split."""
    n = 2 if (cb_w, cb_h) in ((4, 8), (8, 4)) else 4
    if isp_split == ISP_VER_SPLIT:
        return cb_w // n, cb_h
    if isp_split == ISP_HOR_SPLIT:
        return cb_w, cb_h // n
    return cb_w, cb_h


def lfnst_signalled(blocks: Iterable[np.ndarray | None], cb_w: int, cb_h: int, *, isp_split: int = ISP_NO_SPLIT,
                    max_tb: int = 32) -> bool:
    """Whether coding_unit() carries lfnst_idx (§7.3.11.5) for an intra CU of a single tree with
    sps_lfnst_enabled_flag = 1, no transform skip and no MIP: Min(lfnstWidth, lfnstHeight) >= 4,
    Max(cbWidth, cbHeight) <= MaxTbSizeY, and (ISP or LfnstDcOnly == 0) and LfnstZeroOutSigCoeffFlag
    == 1 over ``blocks``: the TransCoeffLevel arrays of all the CU's coded blocks (luma and chroma,
    every TU; None = not coded)."""
    lw, lh = lfnst_size(cb_w, cb_h, isp_split)
    if min(lw, lh) < 4 or max(cb_w, cb_h) > max_tb:
        return False
    dc_only = True
    for lv in blocks:
        if lv is None:
            continue
        clear_dc, clear_zero_out = residual_flags(lv)
        if clear_zero_out:
            return False
        dc_only = dc_only and not clear_dc
    return isp_split != ISP_NO_SPLIT or not dc_only


def write_lfnst_idx(sink: Any, lfnst_idx: int) -> None:
    """lfnst_idx: truncated rice, cMax 2; bin 0 ctxInc = 0 (single tree), bin 1 ctxInc = 2 (§9.3.4.2)."""
    from . import contexts as C

    sink.bin(C.LFNST_IDX, 1 if lfnst_idx else 0)
    if lfnst_idx:
        sink.bin(C.LFNST_IDX + 2, lfnst_idx - 1)
