"""Unit tests of the decoder-mirroring VVC kernels (intra prediction, DCT-II, scaling, chroma QP).

Bit-exactness against FFmpeg is tested end to end with the encoder (tests/test_vvc_*.py of the
encoder); these tests pin closed forms, symmetries and the encoder-side inverses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_ref.vvc.intra_pred import (
    ReferenceSamples,
    intra_pred_angle,
    inv_angle,
    predict_block,
    predict_from_refs,
    reference_samples,
    wide_angle_mode,
)
from ssgc_ref.vvc.quant import chroma_qp, chroma_qp_table, dequantize, quantize
from ssgc_ref.vvc.transform import dct2_matrix, forward_dct2, inverse_dct2
from vvc_checks import substitute

SIZES = (4, 8, 16, 32)


# ---------------------------------------------------------------- transform


def test_dct2_matrix_rows_match_standard_values():
    assert dct2_matrix(4).tolist() == [[64, 64, 64, 64], [83, 36, -36, -83], [64, -64, -64, 64],
                                       [36, -83, 83, -36]]
    assert dct2_matrix(8)[1].tolist() == [89, 75, 50, 18, -18, -50, -75, -89]
    assert dct2_matrix(16)[1, :8].tolist() == [90, 87, 80, 70, 57, 43, 25, 9]
    assert dct2_matrix(32)[1, :16].tolist() == [90, 90, 88, 85, 82, 78, 73, 67, 61, 54, 46, 38, 31, 22, 13, 4]


@pytest.mark.parametrize("n", SIZES)
def test_dct2_matrix_nearly_orthogonal(n):
    t = dct2_matrix(n)
    g = t @ t.T
    off = g - np.diag(np.diag(g))
    assert np.abs(off).max() <= 0.003 * 4096 * n  # integer approximation of an orthogonal basis
    assert np.all(np.abs(np.diag(g) - 4096 * n) <= 0.003 * 4096 * n)
    # row k has k sign changes (basis functions in frequency order)
    for k in range(n):
        assert np.count_nonzero(np.diff(np.sign(t[k])) != 0) == k


@pytest.mark.parametrize("bd", (8, 10))
def test_inverse_dct2_dc_closed_form(bd):
    for n in SIZES:
        for c in (-32768, -1000, -1, 0, 1, 7, 1000, 32767):
            d = np.zeros((n, n), np.int32)
            d[0, 0] = c
            g = (c * 64 + 64) >> 7
            shift = 20 - bd
            expect = (g * 64 + (1 << (shift - 1))) >> shift
            assert np.all(inverse_dct2(d, bd) == expect)


def test_inverse_dct2_intermediate_clip():
    d = np.full((32, 32), 32767, np.int32)
    e = dct2_matrix(32).T.astype(np.int64) @ d  # unclipped first stage overflows 16 bits
    assert ((e + 64) >> 7).max() > 32767
    r = inverse_dct2(d, 8)
    g = np.clip((e + 64) >> 7, -32768, 32767)
    assert np.array_equal(r, ((g @ dct2_matrix(32)) + 2048) >> 12)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(SIZES), st.sampled_from(SIZES), st.sampled_from((8, 10)), st.integers(0, 2**32 - 1))
def test_forward_inverse_round_trip(h, w, bd, seed):
    x = np.random.default_rng(seed).integers(-(1 << (bd - 1)), 1 << (bd - 1), (h, w))
    r = inverse_dct2(forward_dct2(x, bd), bd)
    assert np.abs(r - x).max() <= 2 + (bd - 8) * 4


def test_transform_rejects_bad_sizes():
    with pytest.raises(ValueError):
        inverse_dct2(np.zeros((4, 6), np.int32), 8)
    with pytest.raises(ValueError):
        forward_dct2(np.zeros((2, 4), np.int32), 8)


# ---------------------------------------------------------------- scaling


def test_dequantize_matches_formula():
    lv = np.array([[1, -1, 3, 0]] * 4, np.int32)
    # 4x4, 8-bit, QP 4: ls = 16*64 << 0, bdShift = 8 + 0 + 2 - 5 = 5 -> d = (lv*1024 + 16) >> 5
    assert dequantize(lv, 4, 8).tolist() == ((lv.astype(np.int64) * 1024 + 16) >> 5).tolist()
    # 8x4 (odd log2 sum) uses the sqrt(2) table: QP 0 -> 57, bdShift = 8 + 1 + 2 - 5 = 6
    lv2 = np.ones((4, 8), np.int32)
    assert np.all(dequantize(lv2, 0, 8) == (16 * 57 + 32) >> 6)
    # 10-bit adds QpBdOffset = 12 to the QP: QP 4 at 10 bits -> qP 16 -> 16*64 << 2
    assert np.all(dequantize(np.ones((4, 4), np.int32), 4, 10) == (16 * 64 * 4 + 64) >> 7)


def test_dequantize_clips_to_int16():
    lv = np.full((8, 8), 32767, np.int32)
    assert np.all(dequantize(lv, 63, 8) == 32767)
    assert np.all(dequantize(-lv, 63, 8) == -32768)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SIZES), st.sampled_from(SIZES), st.integers(0, 51), st.sampled_from((8, 10)),
       st.integers(0, 2**32 - 1))
def test_quantize_inverts_dequantize(h, w, qp, bd, seed):
    lv = np.random.default_rng(seed).integers(-200, 201, (h, w)).astype(np.int32)
    d = dequantize(lv, qp, bd)
    if np.abs(d).max() >= 32767:
        return  # clipped: not invertible
    assert np.array_equal(quantize(d, qp, bd, intra_deadzone=False), lv)


def test_quantize_deadzone():
    # 8x8, 8-bit, QP 28 -> ls = 16*64 << 4 = 16384, bdShift = 6: step 256; 1/3 offset rounds up
    # from 2/3 of a step (170.7), 1/2 offset from 128
    c = np.zeros((8, 8), np.int32)
    c[0, 0], c[0, 1], c[0, 2] = 150, 171, -171
    q3 = quantize(c, 28, 8)
    q2 = quantize(c, 28, 8, intra_deadzone=False)
    assert q3[0, :3].tolist() == [0, 1, -1] and q2[0, :3].tolist() == [1, 1, -1]


def test_chroma_qp_identity_table():
    for bd in (8, 10):
        off = 6 * (bd - 8)
        t = chroma_qp_table(bd)
        assert sorted(t) == list(range(-off, 64)) and all(t[k] == k for k in t)
        assert [chroma_qp(q, 1, bd) for q in range(-off, 64)] == list(range(-off, 64))
    # a non-identity table follows the spec's piecewise-linear rule (HEVC-like knee at 30..)
    t = chroma_qp_table(8, start=30, delta_in_minus1=(3,), delta_diff=(1,))
    assert t[30] == 30 and t[34] == 32 and t[29] == 29 and t[35] == 33
    with pytest.raises(ValueError):
        chroma_qp(30, 0, 8)


# ---------------------------------------------------------------- intra prediction


def _refs(top, left, corner):
    return ReferenceSamples(top=np.asarray(top, np.int64), left=np.asarray(left, np.int64), corner=corner)


def test_angle_tables():
    assert [intra_pred_angle(m) for m in (2, 18, 34, 50, 66)] == [32, 0, -32, 0, 32]
    assert intra_pred_angle(-14) == 512 and intra_pred_angle(80) == 512 and intra_pred_angle(67) == 35
    assert inv_angle(32) == 512 and inv_angle(-32) == -512 and inv_angle(1) == 16384 and inv_angle(29) == 565
    assert wide_angle_mode(2, 16, 8) == 67 and wide_angle_mode(8, 16, 8) == 8
    assert wide_angle_mode(66, 8, 16) == -1 and wide_angle_mode(60, 8, 16) == 60
    assert wide_angle_mode(2, 32, 8) == 67 and wide_angle_mode(11, 32, 8) == 76 and wide_angle_mode(12, 32, 8) == 12


@pytest.mark.parametrize("bd", (8, 10))
def test_nothing_available_gives_mid_grey(bd):
    plane = np.full((64, 64), 77, np.int32)
    avail = np.zeros((16, 16), bool)
    for mode in range(67):
        for c in (0, 1):
            p = predict_block(plane, avail, 16, 16, 8, 8, mode, c, bd, 4)
            assert np.all(p == 1 << (bd - 1))


def test_flat_references_predict_flat():
    for n in SIZES:
        refs = _refs([100] * 2 * n, [100] * 2 * n, 100)
        for mode in range(67):
            for c in (0, 1):
                assert np.all(predict_from_refs(refs, n, n, mode, c, 8) == 100)


def test_dc_closed_form_without_pdpc_reach():
    # 16x16, top = 40, left = 200: DC = (16*40 + 16*200 + 16) >> 5 = 120; PDPC nScale = 1 reaches x,y < 6
    refs = _refs([40] * 32, [200] * 32, 90)
    p = predict_from_refs(refs, 16, 16, 1, 0, 8)
    assert np.all(p[6:, 6:] == 120)
    # PDPC on row 0 at x >= 6: wT = 32, wL = 0 -> 120 + ((32*(40-120) + 32) >> 6) = 80
    assert np.all(p[0, 6:] == 80)
    # sample (0, 0): wL = wT = 32 -> 120 + ((32*80 + 32*(-80) + 32) >> 6) = 120
    assert p[0, 0] == 120


def test_planar_linear_ramp_is_exact():
    # planar = the closed form of 8.4.5.2.11 outside the PDPC reach
    n = 8
    top = np.arange(10, 10 + 2 * n * 4, 4)
    left = np.full(2 * n, 10)
    p = predict_from_refs(_refs(top, left, 10), n, n, 0, 1, 8)  # chroma: no reference filtering
    y = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    pv = ((n - 1 - y) * top[None, :n] + (y + 1) * left[n]) << 3
    ph = ((n - 1 - x) * left[:n, None] + (x + 1) * top[n]) << 3
    base = (pv + ph + n * n) >> 7
    assert p[6:, 6:].tolist() == base[6:, 6:].tolist()  # PDPC (nScale 1) reaches x, y < 6 only


def test_vertical_and_horizontal_modes():
    n = 8
    rng = np.random.default_rng(3)
    top = rng.integers(0, 256, 2 * n)
    left = rng.integers(0, 256, 2 * n)
    refs = _refs(top, left, 128)
    v = predict_from_refs(refs, n, n, 50, 0, 8)
    # columns beyond PDPC reach (nScale = 1: x < 6) copy the top row
    assert np.array_equal(v[:, 6:], np.tile(top[6:n], (n, 1)))
    wl = 32 >> ((np.arange(n) << 1) >> 1)
    expect = np.clip(top[None, :n] + ((wl[None, :] * (left[:n, None] - 128) + 32) >> 6), 0, 255)
    assert np.array_equal(v, expect)
    h = predict_from_refs(_refs(left, top, 128), n, n, 18, 0, 8)
    assert np.array_equal(h, v.T)


def test_diagonal_mode_66_chroma_copies_shifted_top():
    n = 16
    rng = np.random.default_rng(4)
    top = rng.integers(0, 256, 2 * n)
    refs = _refs(top, rng.integers(0, 256, 2 * n), 77)
    p = predict_from_refs(refs, n, n, 66, 1, 8)
    y, x = np.mgrid[0:n, 0:n]
    ref = top[np.minimum(x + y + 1, 2 * n - 1)]
    # PDPC for mode 66 at 16x16: nScale = 2, columns x < 12 are modified
    assert np.array_equal(p[:, 12:], ref[:, 12:])


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("c_idx", (0, 1))
def test_transpose_symmetry_square(n, c_idx):
    rng = np.random.default_rng(n + 10 * c_idx)
    top, left = rng.integers(0, 1024, 2 * n), rng.integers(0, 1024, 2 * n)
    a = _refs(top, left, 500)
    b = _refs(left, top, 500)
    for mode in range(67):
        mirrored = 68 - mode if mode >= 2 else mode
        assert np.array_equal(predict_from_refs(a, n, n, mode, c_idx, 10),
                              predict_from_refs(b, n, n, mirrored, c_idx, 10).T), mode


def test_substitution_process():
    plane = np.arange(64 * 64, dtype=np.int32).reshape(64, 64) % 251
    avail = np.zeros((16, 16), bool)
    # only the left neighbour column rows 16..23 (blocks (4..5, 3)) available for a block at (16, 16) 8x8
    avail[4:6, 3] = True
    r = reference_samples(plane, avail, 16, 16, 8, 8, 8, 4)
    assert r.left[:8].tolist() == plane[16:24, 15].tolist()
    assert np.all(r.left[8:] == plane[23, 15])  # below-left extended from the last available
    assert r.corner == plane[16, 15]  # corner copies p[-1][0]
    assert np.all(r.top == plane[16, 15])
    # only the above row available (picture left edge)
    avail[:] = False
    avail[3, 4:6] = True
    r = reference_samples(plane, avail, 16, 16, 8, 8, 8, 4)
    assert np.all(r.left == plane[15, 16]) and r.corner == plane[15, 16]
    assert r.top[:8].tolist() == plane[15, 16:24].tolist() and np.all(r.top[8:] == plane[15, 23])


def _naive_reference_samples(plane, avail, x0, y0, n, bd, unit):
    """The substitution process sample by sample (8.4.5.2.8 read literally)."""
    pos = [(x0 - 1, y0 + j) for j in range(2 * n - 1, -1, -1)] + [(x0 - 1, y0 - 1)]
    pos += [(x0 + i, y0 - 1) for i in range(2 * n)]

    def ok(x, y):
        return (x >= 0 and y >= 0 and y // unit < avail.shape[0] and x // unit < avail.shape[1]
                and bool(avail[y // unit, x // unit]))

    return substitute([int(plane[y, x]) if ok(x, y) else None for x, y in pos], bd)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from((4, 8, 16, 32, 64)), st.sampled_from((2, 4)), st.integers(0, 2**32 - 1))
def test_reference_samples_match_sample_by_sample_substitution(n, unit, seed):
    # blocks anywhere on the unit grid, near or past the picture's right and bottom edges
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(1, 24, 2)
    plane = rng.integers(0, 1024, (rows * unit, cols * unit)).astype(np.int32)
    avail = rng.random((rows, cols)) < rng.random()
    x0, y0 = unit * int(rng.integers(0, cols)), unit * int(rng.integers(0, rows))
    r = reference_samples(plane, avail, x0, y0, n, n, 10, unit)
    got = r.left[::-1].tolist() + [r.corner] + r.top.tolist()
    assert got == _naive_reference_samples(plane, avail, x0, y0, n, 10, unit)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SIZES), st.sampled_from((0, 1, 2)), st.integers(0, 66), st.sampled_from((8, 10)),
       st.integers(0, 2**32 - 1))
def test_prediction_in_range_and_shape(n, c_idx, mode, bd, seed):
    rng = np.random.default_rng(seed)
    plane = rng.integers(0, 1 << bd, (96, 96)).astype(np.int32)
    unit = 4 if c_idx == 0 else 2
    avail = rng.random((96 // unit, 96 // unit)) < 0.7
    p = predict_block(plane, avail, 32, 32, n, n, mode, c_idx, bd, unit)
    assert p.shape == (n, n) and p.dtype == np.int32
    assert p.min() >= 0 and p.max() < (1 << bd)


def test_luma_reference_filter_applies_to_planar_only_above_32_samples():
    rng = np.random.default_rng(5)
    top, left = rng.integers(0, 256, 16), rng.integers(0, 256, 16)
    refs = _refs(top, left, 99)
    # chroma never filters; luma 8x8 planar filters: they differ for noisy references
    assert not np.array_equal(predict_from_refs(refs, 8, 8, 0, 0, 8), predict_from_refs(refs, 8, 8, 0, 1, 8))
    # DC does not filter: luma == chroma
    assert np.array_equal(predict_from_refs(refs, 8, 8, 1, 0, 8), predict_from_refs(refs, 8, 8, 1, 1, 8))


# ---------------------------------------------------------------- end to end against FFmpeg


@pytest.mark.parametrize("bd", (8, 10))
@pytest.mark.parametrize("cu_size", (32, 16, 8))
def test_every_mode_and_size_bit_exact_in_ffmpeg(bd, cu_size):
    """Force every luma mode (and the five chroma choices) at each CU size; FFmpeg's decode of the
    stream must equal the encoder's reconstruction built from these kernels."""
    from skimage import data

    from ssgc_format.ycbcr import rgb_to_ycbcr420
    from ssgc_ref.vvc.encoder import Forced, encode_picture
    from ssgc_ref.vvc.oracle import decode_annexb

    class Cycle(Forced):
        def __init__(self):
            self.i = 0

        def split(self, x, y, size):
            return size > cu_size

        def luma_mode(self, x, y, size):
            self.i += 1
            return self.i % 67

        def chroma_idx(self, x, y, size):
            return self.i % 5

    side = {32: 32 * 9, 16: 16 * 9, 8: 8 * 9}[cu_size]  # >= 67 CUs of the forced size
    im = data.astronaut()[100:100 + cu_size * 8 + 6, 150:150 + side]  # height not a multiple of 8
    planes = rgb_to_ycbcr420(im, bd)
    forced = Cycle()
    res = encode_picture(*planes, qp=27, bit_depth=bd, preset="fast", forced=forced)
    assert forced.i >= 67
    dec = decode_annexb(res.data, simd=False)
    for got, want in zip(dec, res.recon):
        assert np.array_equal(got.astype(np.int64), want.astype(np.int64))


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 63), st.sampled_from((8, 10)),
       st.integers(0, 2**32 - 1))
def test_random_decisions_bit_exact_in_ffmpeg(hh, wh, qp, bd, seed):
    """Random splits, luma modes and chroma choices on a random-texture picture of random size."""
    from ssgc_ref.vvc.encoder import Forced, encode_picture
    from ssgc_ref.vvc.oracle import decode_annexb

    rng = np.random.default_rng(seed)

    class Random(Forced):
        def split(self, x, y, size):
            return bool(rng.random() < 0.5)

        def luma_mode(self, x, y, size):
            return int(rng.integers(0, 67))

        def chroma_idx(self, x, y, size):
            return int(rng.integers(0, 5))

    h, w = 8 * hh - int(rng.integers(0, 4)) * 2, 8 * wh - int(rng.integers(0, 4)) * 2
    h, w = max(h, 2), max(w, 2)
    smooth = np.cumsum(np.cumsum(rng.integers(-3, 4, (h, w)), 0), 1)
    y = np.clip(smooth - smooth.min() + rng.integers(0, 60), 0, 255).astype(np.uint16) << (bd - 8)
    c = rng.integers(0, 1 << bd, ((h + 1) // 2, (w + 1) // 2)).astype(np.uint16)
    res = encode_picture(y, c, c[::-1].copy(), qp=qp, bit_depth=bd, preset="fast", forced=Random())
    dec = decode_annexb(res.data, simd=False)
    for got, want in zip(dec, res.recon):
        assert np.array_equal(got.astype(np.int64), want.astype(np.int64))
