"""Integer helpers shared by the decoder-mirroring VVC kernels (H.266 clause 2 notation)."""

from __future__ import annotations

import numpy as np


def clip3(a, lo: int, hi: int):
    """Clip3(lo, hi, a) on integer arrays (np.minimum/np.maximum: no dtype-limit lookups per call)."""
    return np.minimum(np.maximum(a, lo), hi)


def log2i(n: int) -> int:
    """Log2 of a power of two (floor of log2 for any positive integer)."""
    return n.bit_length() - 1
