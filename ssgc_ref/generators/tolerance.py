"""Conformance within tolerance for the generated picture (spec §8.9), JPEG XL style.

A decoder's generated picture G conforms when, against the expected picture (8-bit samples, all
channels), RMSE <= RMSE_MAX and the peak absolute error <= PEAK_MAX.
"""

from __future__ import annotations

import math

import numpy as np

from ssgc_format.errors import InputError

__all__ = ["RMSE_MAX", "PEAK_MAX", "generation_error", "within_tolerance"]

RMSE_MAX = 1.0
PEAK_MAX = 16


def generation_error(got: np.ndarray, expected: np.ndarray) -> tuple[float, int]:
    """(RMSE, peak absolute error) between two uint8 images of the same shape."""
    if got.shape != expected.shape:
        raise InputError(f"generated picture is {got.shape}, expected {expected.shape}")
    d = got.astype(np.int32) - expected.astype(np.int32)
    return math.sqrt(float((d * d).mean())) if d.size else 0.0, int(np.abs(d).max()) if d.size else 0


def within_tolerance(got: np.ndarray, expected: np.ndarray) -> tuple[bool, float, int]:
    rmse, peak = generation_error(got, expected)
    return rmse <= RMSE_MAX and peak <= PEAK_MAX, rmse, peak
