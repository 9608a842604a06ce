"""Rate control of the VVC ROI encoder (informative): code a picture within a byte budget.

The stream size is (nearly) monotone in the slice QP, so :func:`encode_to_budget` binary-searches
the lowest QP in 0..63 whose stream fits, checking QP 63 first. Every probe is a full encode.
"""

from __future__ import annotations

from ssgc_format.errors import InputError

from .encoder import EncodeResult, encode_picture


def encode_to_budget(y, cb, cr, *, max_bytes: int, bit_depth: int = 8, preset: str = "medium",
                     deblocking: bool = False) -> EncodeResult:
    """Highest-quality (lowest QP) encoding whose Annex-B stream is at most ``max_bytes`` long.

    Raises InputError when even QP 63 does not fit (or the budget is not a positive integer)."""
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise InputError(f"VVC encoder: byte budget {max_bytes!r} must be a positive integer")
    cache: dict[int, EncodeResult] = {}

    def enc(qp: int) -> EncodeResult:
        if qp not in cache:
            cache[qp] = encode_picture(y, cb, cr, qp=qp, bit_depth=bit_depth, preset=preset, deblocking=deblocking)
        return cache[qp]

    worst = enc(63)
    if len(worst.data) > max_bytes:
        raise InputError(f"VVC encoder: even QP 63 needs {len(worst.data)} bytes, budget is {max_bytes}")
    lo, hi = 0, 63  # invariant: enc(hi) fits
    while lo < hi:
        mid = (lo + hi) // 2
        if len(enc(mid).data) <= max_bytes:
            hi = mid
        else:
            lo = mid + 1
    return enc(hi)
