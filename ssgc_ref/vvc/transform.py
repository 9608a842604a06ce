"""H.266/VVC DCT-II transforms for the SSGC VVC profile (H.266 clause 8.7.4, DCT-II only).

:func:`inverse_dct2` mirrors the decoder's transformation process bit-exactly: vertical 1-D
transform, intermediate ``Clip3(coeffMin, coeffMax, (e + 64) >> 7)``, horizontal 1-D transform, then
the residual rounding ``(r + (1 << (bdShift - 1))) >> bdShift`` with ``bdShift = 20 - BitDepth``
(extended precision off, so coeffMin/Max = -32768/32767); sizes 4..64, a 64-sample side with the
DCT-II zero-out (only its first 32 coefficients are read). :func:`forward_dct2` is informative (the
encoder's) and uses HM's two-stage shifts, so that its output is on the scale
:func:`ssgc_ref.vvc.quant.dequantize` produces.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .intmath import clip3
from .jit import kernel

__all__ = ["dct2_matrix", "forward_dct2", "inverse_dct2"]

COEFF_MIN, COEFF_MAX = -(1 << 15), (1 << 15) - 1

# cos(j * pi / 128) * 64 * sqrt(2), as the standard's integer table states it (H.266 8.7.4.5, the
# 64x64 transMatrix), for the angle index j = 1..63; the 32-point and smaller DCT-II use only even j,
# the 64-point one the odd ones too. j = 32 is 64.
_COS_EVEN = {
    2: 90, 4: 90, 6: 90, 8: 89, 10: 88, 12: 87, 14: 85, 16: 83, 18: 82, 20: 80, 22: 78, 24: 75,
    26: 73, 28: 70, 30: 67, 32: 64, 34: 61, 36: 57, 38: 54, 40: 50, 42: 46, 44: 43, 46: 38, 48: 36,
    50: 31, 52: 25, 54: 22, 56: 18, 58: 13, 60: 9, 62: 4,
}
_COS_ODD = dict(zip(range(1, 64, 2), (
    91, 90, 90, 90, 88, 87, 86, 84, 83, 81, 79, 77, 73, 71, 69, 65,
    62, 59, 56, 52, 48, 44, 41, 37, 33, 28, 24, 20, 15, 11, 7, 2)))
_COS = {0: 64, 64: 0, **_COS_EVEN, **_COS_ODD}

# DCT-II zero-out (8.7.4.2): of a 64-sample side only the first 32 coefficients may be non-zero
ZERO_OUT = 32


def _cos_entry(m: int) -> int:
    """The integer matrix value for cos(m * pi / 128), any integer m (the first row, k = 0, is 64)."""
    m %= 256
    if m > 128:
        m = 256 - m  # cos(2 pi - a) = cos(a)
    if m > 64:
        return -_COS[128 - m]  # cos(pi - a) = -cos(a)
    return _COS[m]


@lru_cache(maxsize=None)
def dct2_matrix(n: int) -> np.ndarray:
    """transMatrix of the n-point DCT-II (n = 2..64): row k is basis function k, int64, read-only."""
    if n not in (2, 4, 8, 16, 32, 64):
        raise ValueError(f"DCT-II size {n} not supported")
    step = 64 // n  # angle index of (2i+1)*k*pi/(2n) on the 1/128-pi grid: (2i+1)*k*step
    t = np.empty((n, n), dtype=np.int64)
    t[0, :] = 64
    for k in range(1, n):
        for i in range(n):
            t[k, i] = _cos_entry((2 * i + 1) * k * step)
    t.setflags(write=False)
    return t


_BLAS_MIN = 256  # samples from which a block's products go through float64 BLAS


def compiled_size(h: int, w: int) -> bool:
    """Blocks whose transforms take the compiled loops (_forward_small / _inverse_small): no side
    above 32 (no zero-out) and at most 512 samples; above, BLAS is faster (measured 16x32: 12 / 19 us
    compiled against 27 / 26 us, 32x32: 28 / 30 against 32 / 19, forward / inverse)."""
    return h * w <= 512 and h <= ZERO_OUT and w <= ZERO_OUT


def _exact_int(a: np.ndarray) -> np.ndarray:
    """An integer-valued float64 product back to int64 (exact: the callers bound its sums)."""
    return a.astype(np.int64)


@lru_cache(maxsize=None)
def _fmatrix(n: int) -> np.ndarray:
    """dct2_matrix(n) as float64, for the BLAS products."""
    t = dct2_matrix(n).astype(np.float64)
    t.setflags(write=False)
    return t


def _check_block(a: np.ndarray, what: str) -> tuple[int, int]:
    if a.ndim != 2:
        raise ValueError(f"{what} must be 2-D, got shape {a.shape}")
    h, w = a.shape
    for s in (h, w):
        if s not in (4, 8, 16, 32, 64):
            raise ValueError(f"{what} size {a.shape} not supported (4..64, powers of two)")
    return h, w


@kernel
def _inverse_small(d, th, tw, bd_shift):
    """inverse_dct2 of a block without zero-out, in int64 loops (the same integer sums as the
    matrix products; a small block's numpy products cost more in calls than in arithmetic)."""
    h, w = d.shape
    g = np.empty((h, w), dtype=np.int64)
    for y in range(h):
        for x in range(w):
            e = 0
            for k in range(h):
                e += th[k, y] * d[k, x]
            e = (e + 64) >> 7
            g[y, x] = COEFF_MIN if e < COEFF_MIN else (COEFF_MAX if e > COEFF_MAX else e)
    r = np.empty((h, w), dtype=np.int32)
    rnd = 1 << (bd_shift - 1)
    for y in range(h):
        for x in range(w):
            v = 0
            for k in range(w):
                v += g[y, k] * tw[k, x]
            r[y, x] = (v + rnd) >> bd_shift
    return r


@kernel
def _forward_small(x, tw, th, shift1, shift2):
    """forward_dct2 of a block without zero-out, in int64 loops (as _inverse_small)."""
    h, w = x.shape
    t = np.empty((h, w), dtype=np.int64)
    for y in range(h):
        for k in range(w):
            v = 0
            for i in range(w):
                v += x[y, i] * tw[k, i]
            t[y, k] = (v + (1 << (shift1 - 1))) >> shift1 if shift1 > 0 else v << -shift1
    c = np.empty((h, w), dtype=np.int32)
    rnd = 1 << (shift2 - 1)
    for k in range(h):
        for xx in range(w):
            v = 0
            for y in range(h):
                v += th[k, y] * t[y, xx]
            v = (v + rnd) >> shift2
            c[k, xx] = COEFF_MIN if v < COEFF_MIN else (COEFF_MAX if v > COEFF_MAX else v)
    return c


def inverse_dct2(coeffs: np.ndarray, bit_depth: int) -> np.ndarray:
    """Scaled transform coefficients d (h, w) -> residual r (h, w) int32, bit-exact per 8.7.4/8.7.2."""
    h, w = _check_block(coeffs, "coefficient block")
    if compiled_size(h, w):
        return _inverse_small(np.asarray(coeffs, dtype=np.int64), dct2_matrix(h), dct2_matrix(w), 20 - bit_depth)
    # nonZeroW/H = Min(nTbW/H, 32) (8.7.4.2): the 1-D transforms read only the first 32 inputs
    zh, zw = min(h, ZERO_OUT), min(w, ZERO_OUT)
    # the products in float64 (BLAS), exact: |d| <= 2^15 (the decoder clips scaled coefficients to
    # 16 bits; larger inputs take the integer product), |T| <= 91, at most 32 terms, so every
    # partial sum is an integer below 2^53
    d = np.asarray(coeffs)[:zh, :zw]
    if h * w >= _BLAS_MIN and np.abs(d).max(initial=0) <= -COEFF_MIN:
        e = _exact_int(_fmatrix(h)[:zh].T @ d.astype(np.float64))
        g = clip3((e + 64) >> 7, COEFF_MIN, COEFF_MAX)
        r = _exact_int(g.astype(np.float64) @ _fmatrix(w)[:zw])  # horizontal: r[y][x] = sum_k g[y][k] T[k][x]
    else:
        e = dct2_matrix(h)[:zh].T @ d.astype(np.int64)  # vertical: e[y][x] = sum_k T[k][y] d[k][x]
        g = clip3((e + 64) >> 7, COEFF_MIN, COEFF_MAX)
        r = g @ dct2_matrix(w)[:zw]
    bd_shift = 20 - bit_depth
    return ((r + (1 << (bd_shift - 1))) >> bd_shift).astype(np.int32)


def forward_dct2(residual: np.ndarray, bit_depth: int) -> np.ndarray:
    """Informative forward DCT-II (HM shifts): residual (h, w) -> coefficients (h, w) int32, on the
    scale of the decoder's scaled coefficients (so ``inverse_dct2(forward_dct2(x)) ~= x``). A 64-sample
    side keeps its first 32 coefficients and zeroes the others (the decoder reads no more)."""
    h, w = _check_block(residual, "residual block")
    x = np.asarray(residual)
    shift1 = (w.bit_length() - 1) + bit_depth - 9
    shift2 = (h.bit_length() - 1) + 6
    if compiled_size(h, w):
        return _forward_small(np.asarray(x, dtype=np.int64), dct2_matrix(w), dct2_matrix(h), shift1, shift2)
    # float64 products (BLAS) where they are exact: |x| <= 2^16 and |T| <= 91 keep the first
    # stage's sums below 2^29 and, with shift1 >= 0, the second's below 2^52
    if h * w >= _BLAS_MIN and shift1 >= 0 and np.abs(x).max(initial=0) <= 1 << 16:
        t = _exact_int(x.astype(np.float64) @ _fmatrix(w).T)  # horizontal first
        t = (t + (1 << (shift1 - 1))) >> shift1 if shift1 > 0 else t
        c = _exact_int(_fmatrix(h) @ t.astype(np.float64))
    else:
        t = x.astype(np.int64) @ dct2_matrix(w).T
        t = (t + (1 << (shift1 - 1))) >> shift1 if shift1 > 0 else t << -shift1
        c = dct2_matrix(h) @ t
    c = (c + (1 << (shift2 - 1))) >> shift2
    c[ZERO_OUT:, :] = 0
    c[:, ZERO_OUT:] = 0
    return clip3(c, COEFF_MIN, COEFF_MAX).astype(np.int32)
