"""The decorator of the encoder's compiled loops (informative code only).

Some encoder loops walk a block's coefficients one by one, in the coder's order, with state carried
from one to the next (context states, templates of already-coded neighbours, the regular-bin
budget, dependent quantisation's QState): numpy cannot vectorise them, and in CPython they were the
largest share of the encoder's time. numba compiles them to machine code; the arithmetic is the
same (integer state updates, float64 additions in the same order, no fast-math), so the results are
identical to the interpreted code, which ``NUMBA_DISABLE_JIT=1`` runs instead.

Compiled code is cached beside the module (or in numba's user-wide cache when that is read-only),
so only the first run on a machine pays the compilation.
"""

from __future__ import annotations

import numba


def kernel(fn):
    """numba.njit with the options every kernel here shares: cached, GIL released, no fast-math."""
    return numba.njit(cache=True, nogil=True)(fn)
