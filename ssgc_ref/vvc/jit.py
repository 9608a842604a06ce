"""The decorator of the encoder's compiled loops.

Some loops walk a block's samples or coefficients one by one with state carried from one to the
next (context states, templates of already-coded neighbours, the regular-bin budget, dependent
quantisation's QState, the reference-sample substitution), or spend more in numpy calls than in
arithmetic on small blocks: in CPython they were the largest share of the encoder's time. numba
compiles them to machine code; the arithmetic is the same (integer operations, float64 additions
and multiplications in the same order, no fast-math), so every result is identical to the
interpreted function, which ``NUMBA_DISABLE_JIT=1`` runs instead. The kernels that mirror a decoder
process (scaling and inverse transform, MIP, reference samples) are checked against FFmpeg like
the rest.

Compiled code is cached on disk, so only the first run on a machine pays the compilation. numba
keys a cached kernel on its own source file only, while a kernel also freezes other modules'
constants (context indices) and inlines kernels of other files; so the cache lives in a folder
named by a digest of every source file of this package, and any change to any of them starts a
fresh one: ``$NUMBA_CACHE_DIR`` when set, else the user's cache folder, then ``ssgc-vvc-<digest>``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def _cache_dir() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    root = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ssgc")
    return os.path.join(root, f"ssgc-vvc-{digest.hexdigest()[:16]}")


# read by numba when each kernel below is decorated (its cache locator), so set before any of them
CACHE_DIR = _cache_dir()
numba.config.CACHE_DIR = CACHE_DIR


def cache_is_warm() -> bool:
    """Whether any kernel of this source tree is already compiled on disk (numba's index files): when
    not, the first encode compiles them (tens of seconds) and the CLI says so beforehand."""
    return any(name.endswith(".nbi") for _, _, files in os.walk(CACHE_DIR) for name in files)


def kernel(fn):
    """numba.njit with the options every kernel here shares: cached, GIL released, no fast-math."""
    return numba.njit(cache=True, nogil=True)(fn)
