"""Portable Gaussian noise: Philox4x32-10 and an IEEE-754 Box-Muller transform.

Implements spec Annex C (referenced from §8.4). Every decoder, in any language, draws the same
float32 noise tensor bit for bit from a 64-bit seed: the generator is counter based (no state to
carry), the uniform variates come from integer operations only, and the Gaussian transform uses
only correctly rounded IEEE-754 binary64 operations (+, -, *, /, sqrt, exact scaling by powers of
two and comparisons) in the order Annex C states. No libm ``log``/``cos``/``sin``: they are not
correctly rounded and differ between platforms; Annex C evaluates them with fixed series.

Guarantees:
    * ``gaussian_noise(seed, shape, stream)`` depends only on its arguments (not on the platform,
      the numpy version, the SIMD width or the order of evaluation).
    * Element ``j`` of the C-order flattening uses Philox block ``j >> 1``, output ``j & 1``, so a
      prefix of a larger request equals a smaller request.

numpy's float64 ufuncs are correctly rounded for + - * / sqrt and are never fused (each operation
below is a separate ufunc call, so no fused multiply-add can occur).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ssgc_format.errors import InputError

__all__ = [
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_W0",
    "PHILOX_W1",
    "philox4x32_10",
    "uniform_open_closed",
    "gaussian_pairs",
    "gaussian_noise",
    "MAX_NOISE_ELEMENTS",
]

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
_MASK32 = 0xFFFFFFFF

#: Largest tensor one call may draw (Annex C.5): 2^31 elements.
MAX_NOISE_ELEMENTS = 1 << 31

# Annex C.3 constants, given as exact binary64 bit patterns.
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")  # binary64 nearest to ln 2
_SQRT2 = float.fromhex("0x1.6a09e667f3bcdp+0")  # binary64 nearest to sqrt 2
_HALF_PI_2M30 = float.fromhex("0x1.921fb54442d18p-30")  # binary64 nearest to (pi/2) * 2^-30
_LOG_TERMS = 12  # atanh series terms k = 0..11
_TRIG_TERMS = 13  # sin/cos nested Horner depth


def _u32(x: ArrayLike) -> np.ndarray:
    out: np.ndarray = np.asarray(x, dtype=np.uint64) & np.uint64(_MASK32)
    return out


def philox4x32_10(c0: ArrayLike, c1: ArrayLike, c2: ArrayLike, c3: ArrayLike, k0: ArrayLike,
                  k1: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Philox4x32 with 10 rounds (Annex C.1), vectorised over numpy arrays of uint32 values.

    Arguments are integers or arrays (broadcast together); returns four uint64 arrays holding the
    32-bit output words. Matches Random123's known-answer vectors.
    """
    w0, w1, w2, w3 = (_u32(c) for c in (c0, c1, c2, c3))
    key0, key1 = _u32(k0), _u32(k1)
    m0, m1, mask = np.uint64(PHILOX_M0), np.uint64(PHILOX_M1), np.uint64(_MASK32)
    s32 = np.uint64(32)
    for r in range(10):
        if r > 0:  # key schedule: bump before rounds 2..10
            key0 = (key0 + np.uint64(PHILOX_W0)) & mask
            key1 = (key1 + np.uint64(PHILOX_W1)) & mask
        p0 = m0 * w0  # < 2^64: exact in uint64
        p1 = m1 * w2
        hi0, lo0 = p0 >> s32, p0 & mask
        hi1, lo1 = p1 >> s32, p1 & mask
        w0, w1, w2, w3 = hi1 ^ w1 ^ key0, lo1, hi0 ^ w3 ^ key1, lo0
    return w0, w1, w2, w3


def uniform_open_closed(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    """u = ((w0 >> 5) * 2^26 + (w1 >> 6) + 1) * 2^-53, a binary64 in (0, 1] (Annex C.2), exact."""
    k = ((w0 >> np.uint64(5)) << np.uint64(26)) + (w1 >> np.uint64(6)) + np.uint64(1)
    u: np.ndarray = np.ldexp(k.astype(np.float64), -53)  # k <= 2^53: conversion and scaling are exact
    return u


def _ln(u: np.ndarray) -> np.ndarray:
    """ln u for u in (0, 1] by Annex C.3: exact reduction, then a 12-term atanh series."""
    f, e = np.frexp(u)  # u = f * 2^e, f in [0.5, 1): exact
    m = f * 2.0  # exact, m in [1, 2)
    e = e.astype(np.float64) - 1.0
    big = m >= _SQRT2
    m = np.where(big, m * 0.5, m)  # exact, m in [sqrt2/2, sqrt2)
    e = np.where(big, e + 1.0, e)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = np.full_like(s, 1.0 / (2 * (_LOG_TERMS - 1) + 1))
    for k in range(_LOG_TERMS - 2, -1, -1):
        p = z * p
        p = p + 1.0 / (2 * k + 1)  # 1/(2k+1): a correctly rounded division of two small integers
    t = s * p
    t = t * 2.0
    le = e * _LN2
    return np.asarray(le + t)


def _sin_cos(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of phi in [0, pi/2) by nested Horner forms with integer divisors (Annex C.3)."""
    y = phi * phi
    ts = np.ones_like(phi)
    tc = np.ones_like(phi)
    for k in range(_TRIG_TERMS, 0, -1):
        ds = float((2 * k) * (2 * k + 1))
        dc = float((2 * k - 1) * (2 * k))
        ts = y * ts
        ts = ts / ds
        ts = 1.0 - ts
        tc = y * tc
        tc = tc / dc
        tc = 1.0 - tc
    return phi * ts, tc


def gaussian_pairs(seed: int, first_block: int, count: int, stream: int = 0) -> np.ndarray:
    """Blocks ``first_block .. first_block+count-1`` of a stream: array (count, 2) of binary64.

    Column 0 is r*cos(theta), column 1 r*sin(theta) (Annex C.3/C.4).
    """
    b = np.arange(count, dtype=np.uint64) + np.uint64(first_block)
    w0, w1, w2, _ = philox4x32_10(
        b & np.uint64(_MASK32), b >> np.uint64(32), stream & _MASK32, stream >> 32, seed & _MASK32, seed >> 32
    )
    u = uniform_open_closed(w0, w1)
    lnu = _ln(u)
    r = np.sqrt(lnu * -2.0)
    q = (w2 >> np.uint64(30)).astype(np.int64)
    f = (w2 & np.uint64((1 << 30) - 1)).astype(np.float64)
    phi = f * _HALF_PI_2M30
    s, c = _sin_cos(phi)
    # theta = q*pi/2 + phi: rotate (cos phi, sin phi) by q quarter turns (exact sign/swap).
    cos_t = np.select([q == 0, q == 1, q == 2], [c, -s, -c], s)
    sin_t = np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    out = np.empty((count, 2), dtype=np.float64)
    out[:, 0] = r * cos_t
    out[:, 1] = r * sin_t
    return out


def _check_u64(name: str, v: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise InputError(f"noise {name} must be an integer, got {type(v).__name__}")
    v = int(v)
    if not 0 <= v < 1 << 64:
        raise InputError(f"noise {name} {v} is outside 0..2^64-1")
    return v


def gaussian_noise(seed: int, shape: tuple[int, ...], stream: int = 0) -> np.ndarray:
    """The float32 standard normal tensor of Annex C.4 for ``(seed, stream)``, C order.

    Each binary64 value is rounded to the nearest float32 (ties to even). Raises InputError for a
    seed or stream outside 0..2^64-1, a negative dimension or more than 2^31 elements.
    """
    seed = _check_u64("seed", seed)
    stream = _check_u64("stream", stream)
    dims = tuple(int(d) for d in shape)
    if any(d < 0 for d in dims):
        raise InputError(f"noise shape {dims} has a negative dimension")
    n = 1
    for d in dims:
        n *= d
    if n > MAX_NOISE_ELEMENTS:
        raise InputError(f"noise shape {dims} has {n} elements, more than 2^31")
    pairs = gaussian_pairs(seed, 0, (n + 1) // 2, stream)
    return pairs.reshape(-1)[:n].astype(np.float32).reshape(dims)
