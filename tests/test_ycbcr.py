"""Tests of the normative YCbCr 4:2:0 -> RGB conversion (spec §7.5) and its informative inverse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.ycbcr import INV_MATRIX_Q14, rgb_to_ycbcr420, upsample_chroma16, ycbcr420_to_rgb


def _scalar_reference(y, cb, cr, bd):
    """Per-pixel transcription of the spec's pseudo-code (slow, independent of the vectorised code)."""
    h, w = y.shape
    ch, cw = cb.shape
    s = bd - 8
    out = np.zeros((h, w, 3), np.uint8)
    for yy in range(h):
        i0 = yy >> 1
        i1 = min(i0 + 1, ch - 1) if yy & 1 else max(i0 - 1, 0)
        for xx in range(w):
            j0 = xx >> 1
            j1 = min(j0 + 1, cw - 1) if xx & 1 else max(j0 - 1, 0)
            u = 9 * int(cb[i0][j0]) + 3 * int(cb[i0][j1]) + 3 * int(cb[i1][j0]) + int(cb[i1][j1])
            v = 9 * int(cr[i0][j0]) + 3 * int(cr[i0][j1]) + 3 * int(cr[i1][j0]) + int(cr[i1][j1])
            yd = (int(y[yy][xx]) - (16 << s)) * 16
            ud = u - (2048 << s)
            vd = v - (2048 << s)
            for c, (ky, ku, kv) in enumerate(INV_MATRIX_Q14):
                val = (ky * yd + ku * ud + kv * vd + (1 << (17 + s))) >> (18 + s)
                out[yy, xx, c] = min(max(val, 0), 255)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from((8, 10)), st.integers(0, 2**32 - 1))
def test_matches_scalar_pseudo_code(h, w, bd, seed):
    rng = np.random.default_rng(seed)
    hi = 1 << bd
    y = rng.integers(0, hi, (h, w))
    cb = rng.integers(0, hi, ((h + 1) // 2, (w + 1) // 2))
    cr = rng.integers(0, hi, ((h + 1) // 2, (w + 1) // 2))
    assert np.array_equal(ycbcr420_to_rgb(y, cb, cr, bd), _scalar_reference(y, cb, cr, bd))


def test_upsampling_weights_and_edges():
    c = np.array([[0, 16], [32, 48]])
    u = upsample_chroma16(c, 4, 4)
    # pixel (0,0): all neighbours replicate to c[0][0] -> 16 * 0
    assert u[0, 0] == 0
    # pixel (1,1): 9*c00 + 3*c01 + 3*c10 + c11
    assert u[1, 1] == 9 * 0 + 3 * 16 + 3 * 32 + 48
    # constant chroma stays constant (x16)
    assert np.all(upsample_chroma16(np.full((3, 2), 7), 5, 3) == 112)


@pytest.mark.parametrize("bd", (8, 10))
def test_grey_axis_and_extremes(bd):
    s = bd - 8
    y = np.array([[16 << s, 235 << s]])
    c = np.array([[128 << s]])
    assert ycbcr420_to_rgb(y, c, c, bd)[0].tolist() == [[0, 0, 0], [255, 255, 255]]
    hi = (1 << bd) - 1
    out = ycbcr420_to_rgb(np.array([[0, hi]]), np.array([[0]]), np.array([[hi]]), bd)
    assert out.min() == 0 and out.max() == 255  # clipped, no wrap


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.sampled_from((8, 10)), st.integers(0, 2**32 - 1))
def test_round_trip_smooth_images(h, w, bd, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, 3)
    rgb = np.broadcast_to(base, (h, w, 3)).astype(np.uint8)
    back = ycbcr420_to_rgb(*rgb_to_ycbcr420(rgb, bd), bd)
    assert np.abs(back.astype(int) - rgb).max() <= 2
    assert back.shape == (h, w, 3) and back.dtype == np.uint8


def test_forward_shapes_and_range():
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3)).astype(np.uint8)
    y, cb, cr = rgb_to_ycbcr420(rgb, 10)
    assert y.shape == (7, 5) and cb.shape == (4, 3) and cr.shape == (4, 3)
    assert y.max() <= 1023 and 64 <= y.min()


def test_bad_arguments():
    with pytest.raises(ValueError):
        ycbcr420_to_rgb(np.zeros((4, 4)), np.zeros((2, 2)), np.zeros((2, 2)), 12)
    with pytest.raises(ValueError):
        ycbcr420_to_rgb(np.zeros((4, 4)), np.zeros((2, 3)), np.zeros((2, 2)), 8)
    with pytest.raises(ValueError):
        rgb_to_ycbcr420(np.zeros((4, 4)), 8)
