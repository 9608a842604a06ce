"""General-purpose coders and timing shared by the payload benchmarks (the same settings everywhere)."""

from __future__ import annotations

import io
import lzma
import math
import time
import zlib

LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


def zlib_bytes(raw: bytes) -> int:
    """zlib at level 9."""
    return len(zlib.compress(raw, 9))


def lzma_bytes(raw: bytes) -> int:
    """Raw LZMA2 (no container header) at preset 9 | EXTREME."""
    return len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=LZMA_FILTERS))


def webp_lossless_bytes(im) -> int:
    """A Pillow image as lossless WebP, quality 100, method 6 (slowest, smallest)."""
    buf = io.BytesIO()
    im.save(buf, "WEBP", lossless=True, quality=100, method=6)
    return buf.tell()


def best_time(fn, repeat: int = 3) -> float:
    """Fastest of ``repeat`` calls, in seconds."""
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
