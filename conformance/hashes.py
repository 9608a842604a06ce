"""The hashes the conformance suite records (spec §9.6): SHA-256 of raw samples, row-major."""

from __future__ import annotations

import hashlib

import numpy as np


def array_sha256(a: np.ndarray) -> str:
    """SHA-256 of the samples of ``a`` in row-major order, one byte each (bool as 0/1).

    Only uint8 and bool arrays are hashed: every normative output of SSGC is 8-bit.
    """
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8)
    if a.dtype != np.uint8:
        raise TypeError(f"conformance hashes cover 8-bit samples, got {a.dtype}")
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
