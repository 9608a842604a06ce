"""H.266/VVC scaling (dequantisation) and the chroma QP mapping for the SSGC VVC profile.

:func:`dequantize` mirrors H.266 clause 8.7.3 bit-exactly for the profile's tools (flat scaling,
m = 16, no transform skip; with ``dep_quant`` the scaling of sh_dep_quant_used_flag = 1: levelScale
of qP + 1 and bdShift + 1, the levels being TransCoeffLevel = (2 * |k| - (QState > 1)) * sign, which
dep_quant.py derives from the coded levels k). :func:`quantize` is informative: a dead-zone scalar
quantiser that is the inverse of :func:`dequantize` up to the rounding offset.

QP convention used by every function here: ``qp`` is the QP *before* the bit-depth offset, i.e.
Qp_Y (or Qp_Cb/Qp_Cr) in -QpBdOffset..63 with QpBdOffset = 6 * (bitDepth - 8); the functions add
QpBdOffset themselves (the spec's qP = Qp'_Y = Qp_Y + QpBdOffset).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intmath import log2i
from .jit import kernel

__all__ = ["chroma_qp", "chroma_qp_table", "dequantize", "quantize"]

LEVEL_SCALE = ((40, 45, 51, 57, 64, 72), (57, 64, 72, 80, 90, 102))
COEFF_MIN, COEFF_MAX = -(1 << 15), (1 << 15) - 1


def _scale_params(shape: tuple[int, ...], qp: int, bit_depth: int, dep_quant: bool = False) -> tuple[int, int]:
    """(ls, bdShift) of 8.7.3 for a block of this shape: d = (level * ls + bdOffset) >> bdShift;
    ``dep_quant`` = sh_dep_quant_used_flag."""
    return _scale_params_cached(tuple(shape), int(qp), int(bit_depth), bool(dep_quant))


@lru_cache(maxsize=4096)
def _scale_params_cached(shape: tuple[int, ...], qp: int, bit_depth: int, dep_quant: bool) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"coefficient block must be 2-D, got shape {shape}")
    h, w = shape
    if bit_depth not in (8, 10):
        raise ValueError(f"bit depth {bit_depth} not supported")
    log_sum = log2i(w) + log2i(h)
    rect = log_sum & 1  # rectNonTsFlag
    qp_bd_offset = 6 * (bit_depth - 8)
    q = min(max(qp + qp_bd_offset, 0), 63 + qp_bd_offset)  # qP = Qp' (clipped like the decoder)
    dq = 1 if dep_quant else 0
    q += dq  # after the clipping: qP + 1 reaches 64 + QpBdOffset
    ls = (16 * LEVEL_SCALE[rect][q % 6]) << (q // 6)
    bd_shift = bit_depth + rect + (log_sum >> 1) - 5 + dq
    return ls, bd_shift


def dequantize(levels: np.ndarray, qp: int, bit_depth: int, dep_quant: bool = False) -> np.ndarray:
    """TransCoeffLevel (h, w) -> scaled coefficients d (h, w) int32, clipped to -32768..32767
    (``dep_quant``: the scaling of sh_dep_quant_used_flag = 1; TransCoeffLevel from
    dep_quant.trans_levels)."""
    ls, bd_shift = _scale_params(levels.shape, qp, bit_depth, dep_quant)
    return scale_levels(np.asarray(levels), ls, bd_shift)


@kernel
def scale_levels(levels, ls, bd_shift):
    """dequantize()'s scaling of a 2-D block: Clip3(-32768, 32767, (level * ls + (1 << bdShift >> 1))
    >> bdShift), int32 (compiled; reconstruct's small-block kernel calls it too)."""
    h, w = levels.shape
    d = np.empty((h, w), dtype=np.int32)
    rnd = (1 << bd_shift) >> 1
    for y in range(h):
        for x in range(w):
            v = (np.int64(levels[y, x]) * ls + rnd) >> bd_shift
            d[y, x] = COEFF_MIN if v < COEFF_MIN else (COEFF_MAX if v > COEFF_MAX else v)
    return d


def quantize(coeffs: np.ndarray, qp: int, bit_depth: int, *, intra_deadzone: bool = True) -> np.ndarray:
    """Informative forward quantiser: |level| = floor(|c| * 2^bdShift / ls + o), o = 1/3 (intra, as
    in HM) or 1/2, sign of c; levels clipped to -32768..32767 (the range the syntax allows)."""
    ls, bd_shift = _scale_params(coeffs.shape, qp, bit_depth)
    return _quantize_kernel(np.asarray(coeffs, dtype=np.int64), ls, bd_shift, 3 if intra_deadzone else 2)


@kernel
def _quantize_kernel(c, ls, bd_shift, den):
    """quantize(): |level| = (den |c| 2^bdShift + ls) // (den ls), den = 3 (o = 1/3) or 2 (o = 1/2)."""
    h, w = c.shape
    out = np.empty((h, w), dtype=np.int32)
    step = den * ls
    for y in range(h):
        for x in range(w):
            v = c[y, x]
            a = (den * ((-v if v < 0 else v) << bd_shift) + ls) // step
            if a > COEFF_MAX:
                a = COEFF_MAX
            out[y, x] = -a if v < 0 else a
    return out


def chroma_qp_table(bit_depth: int, start: int = 26, delta_in_minus1: tuple[int, ...] = (0,),
                    delta_diff: tuple[int, ...] = (1,)) -> dict[int, int]:
    """ChromaQpTable[0] (H.266 7.4.3.4) for one signalled table; defaults = the profile's identity
    table (sps_qp_table_start_minus26 = 0, one point, delta_qp_in_val_minus1 = 0, diff = 1)."""
    off = 6 * (bit_depth - 8)
    q_in, q_out = [start], [start]
    for dim, diff in zip(delta_in_minus1, delta_diff):
        q_in.append(q_in[-1] + dim + 1)
        q_out.append(q_out[-1] + (dim ^ diff))
    table = {q_in[0]: q_out[0]}
    for k in range(q_in[0] - 1, -off - 1, -1):
        table[k] = min(max(table[k + 1] - 1, -off), 63)
    for j, dim in enumerate(delta_in_minus1):
        sh = (dim + 1) >> 1
        for k in range(q_in[j] + 1, q_in[j + 1] + 1):
            # the spec's "/" truncates toward zero
            num = (q_out[j + 1] - q_out[j]) * (k - q_in[j]) + sh
            table[k] = table[q_in[j]] + int(num / (dim + 1))
    for k in range(q_in[-1] + 1, 64):
        table[k] = min(max(table[k - 1] + 1, -off), 63)
    return table


def chroma_qp(qp_y: int, c_idx: int, bit_depth: int) -> int:
    """Qp_Cb / Qp_Cr (before QpBdOffset, like ``qp_y``) for the profile: identity table, all chroma
    QP offsets 0: qPi = Clip3(-QpBdOffset, 63, Qp_Y); Qp_C = Clip3(-QpBdOffset, 63, table[qPi])."""
    if c_idx not in (1, 2):
        raise ValueError(f"c_idx {c_idx} is not a chroma component")
    off = 6 * (bit_depth - 8)
    qpi = min(max(qp_y, -off), 63)
    return min(max(chroma_qp_table(bit_depth)[qpi], -off), 63)
