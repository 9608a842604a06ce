"""Rate control of the VVC ROI encoder (informative): code a picture within a byte budget.

The stream size is (nearly) monotone in the slice QP. :func:`encode_to_budget` first binary-searches
QP 0..63 with the cheap "fast" preset, then walks from that QP with the requested preset (down while
the stream still fits, up until it fits), so only a few full-quality encodes are needed. QP 63 is
checked first: if it does not fit, nothing does.
"""

from __future__ import annotations

from ssgc_format.errors import InputError

from .encoder import EncodeResult, encode_picture


def encode_to_budget(y, cb, cr, *, max_bytes: int, bit_depth: int = 8, preset: str = "medium",
                     deblocking: bool = True, ctu_size: int | None = None) -> EncodeResult:
    """Highest-quality (lowest QP) encoding whose Annex-B stream is at most ``max_bytes`` long.

    Raises InputError when even QP 63 does not fit (or the budget is not a positive integer)."""
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise InputError(f"VVC encoder: byte budget {max_bytes!r} must be a positive integer")
    cache: dict[tuple[str, int], EncodeResult] = {}

    def enc(p: str, qp: int) -> EncodeResult:
        if (p, qp) not in cache:
            cache[p, qp] = encode_picture(y, cb, cr, qp=qp, bit_depth=bit_depth, preset=p, deblocking=deblocking,
                                          ctu_size=ctu_size)
        return cache[p, qp]

    def fits(p: str, qp: int) -> bool:
        return len(enc(p, qp).data) <= max_bytes

    if not fits(preset, 63):
        raise InputError(f"VVC encoder: even QP 63 needs {len(enc(preset, 63).data)} bytes, budget is {max_bytes}")
    lo, hi = 0, 63  # binary search with the fast preset: lowest QP that fits
    while lo < hi:
        mid = (lo + hi) // 2
        if fits("fast", mid):
            hi = mid
        else:
            lo = mid + 1
    qp = hi
    if fits(preset, qp):
        while qp > 0 and fits(preset, qp - 1):
            qp -= 1
    else:
        while not fits(preset, qp):  # terminates: QP 63 fits
            qp += 1
    return enc(preset, qp)
