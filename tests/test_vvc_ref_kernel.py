"""intra_pred.py's compiled ISP sub-partitions and reference line (any line, position, length):
predict_from_refs(isp_cu=...) equals predict_reference (the step-by-step processes) on every ISP CU
shape 4..64 and its sub-partitions (1, 2 or 4 samples on one side included), every mode, 8 and 10
bits; reference_samples() equals its former numpy branch (kept here, and only here, verbatim as the
oracle) for reference lines 0..2, any block position, lengths off the availability grid (ISP's
n_top / n_left) and random availability maps; the new kernel equals its own ``py_func``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import intra_pred as P
from ssgc_ref.vvc.intra_pred import ReferenceSamples, predict_from_refs, predict_reference, reference_samples

from test_vvc_pred_kernel import _line  # the same random reference lines

SIDES = (4, 8, 16, 32, 64)
KINDS = ("random", "smooth", "flat", "extreme")


# ---- reference_samples' general branch at commit 7759b9a (verbatim) -------------------------

def _avail_line(avail: np.ndarray, unit: int, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Availability of the sample positions (xs, ys) from the block map; outside the map = unavailable."""
    bx = xs // unit
    by = ys // unit
    inside = (xs >= 0) & (ys >= 0) & (bx < avail.shape[1]) & (by < avail.shape[0])
    out = np.zeros(xs.shape, dtype=bool)
    out[inside] = avail[by[inside], bx[inside]]
    return out


def _old_reference_samples(plane, avail, x0, y0, w, h, bit_depth, avail_unit, n_top=None, n_left=None,
                           ref_idx=0):
    # the general branch for every input (it is exact for the aligned line-0 case too)
    if ref_idx not in (0, 1, 2):
        raise ValueError(f"reference line index {ref_idx} outside 0..2")
    r = ref_idx
    n_left = (2 * h if n_left is None else n_left) + r
    n_top = (2 * w if n_top is None else n_top) + r
    u = avail_unit
    # the sequence p[-1-r][refH-1] .. p[-1-r][-r], corner p[-1-r][-1-r], p[-r][-1-r] .. p[refW-1][-1-r]
    ys = np.concatenate([np.arange(y0 + n_left - 1 - r, y0 - 1 - r, -1), [y0 - 1 - r],
                         np.full(n_top, y0 - 1 - r)])
    xs = np.concatenate([np.full(n_left, x0 - 1 - r), [x0 - 1 - r], np.arange(x0 - r, x0 + n_top - r)])
    ok = _avail_line(avail, u, xs, ys)
    seq = np.full(xs.shape, 1 << (bit_depth - 1), dtype=np.int64)
    seq[ok] = plane[ys[ok], xs[ok]]
    P._substitute(ok, seq)
    return ReferenceSamples(top=seq[n_left + 1:], left=seq[n_left - 1::-1], corner=int(seq[n_left]), ref_idx=r)


# ---- random pictures and references ----------------------------------------------------------

def _picture(rng, rows, cols, u, bd, density, dtype):
    plane = rng.integers(0, 1 << bd, (rows * u, cols * u)).astype(dtype)
    avail = rng.random((rows, cols)) < density
    return plane, avail


def _same_refs(a, b):
    assert a.ref_idx == b.ref_idx and a.corner == b.corner and isinstance(a.corner, int)
    assert a.top.dtype == b.top.dtype == np.int64 and a.left.dtype == np.int64
    assert np.array_equal(a.top, b.top) and np.array_equal(a.left, b.left)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((2, 4)), st.integers(1, 24), st.integers(1, 24),
       st.sampled_from((1, 2, 4, 8, 16, 32)), st.sampled_from((1, 2, 4, 8, 16, 32)), st.integers(0, 2),
       st.sampled_from((8, 10)), st.sampled_from((0.0, 0.3, 0.8, 1.0)), st.booleans(),
       st.sampled_from((np.int32, np.int64, np.uint16)))
def test_reference_samples_equal_old_general_branch(seed, u, rows, cols, w, h, r, bd, density, own_lengths,
                                                    dtype):
    rng = np.random.default_rng(seed)
    plane, avail = _picture(rng, rows, cols, u, bd, density, dtype)
    # positions on and off the grid, up to the map's far edges (a block always starts inside the
    # picture); past them on lines 1, 2
    x0 = int(rng.integers(0, cols * u + 1 + 3 * (r > 0)))
    y0 = int(rng.integers(0, rows * u + 1 + 3 * (r > 0)))
    if rng.random() < 0.5:
        x0, y0 = x0 - x0 % u, y0 - y0 % u
    kw = {}
    if own_lengths:  # ISP's nCbW + w / nCbH + h, or anything else
        kw = dict(n_top=int(rng.integers(1, 3 * w + 8)), n_left=int(rng.integers(1, 3 * h + 8)))
    new = reference_samples(plane, avail, x0, y0, w, h, bd, u, ref_idx=r, **kw)
    _same_refs(new, _old_reference_samples(plane, avail, x0, y0, w, h, bd, u, ref_idx=r, **kw))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2), st.sampled_from((2, 4)))
def test_line_kernel_equals_its_py_func(seed, r, u):
    rng = np.random.default_rng(seed)
    plane, avail = _picture(rng, 12, 10, u, 10, 0.6, np.int32)
    x0, y0 = int(rng.integers(0, 10 * u + 2)), int(rng.integers(0, 12 * u + 2))
    n_left, n_top = int(rng.integers(1, 40)) + r, int(rng.integers(1, 40)) + r
    args = (plane, avail, x0, y0, n_left, n_top, r, u, 10)
    fn = P._ref_line
    for a, b in zip(fn(*args), getattr(fn, "py_func", fn)(*args)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_reference_samples_guard_unchanged():
    plane, avail = np.zeros((16, 16), np.int32), np.ones((4, 4), bool)
    with pytest.raises(ValueError):
        reference_samples(plane, avail, 4, 4, 4, 4, 8, 4, ref_idx=3)


def test_mrl_lines_on_a_coded_picture():
    # lines 1 and 2 of every 4x4-grid block of a picture half reconstructed (the MRL case)
    rng = np.random.default_rng(3)
    plane, avail = _picture(rng, 16, 16, 4, 8, 1.0, np.int32)
    avail[8:, 6:] = False
    for y0 in range(0, 64, 8):
        for x0 in range(0, 64, 8):
            for r in (1, 2):
                for w, h in ((8, 8), (4, 16), (16, 4)):
                    _same_refs(reference_samples(plane, avail, x0, y0, w, h, 8, 4, ref_idx=r),
                               _old_reference_samples(plane, avail, x0, y0, w, h, 8, 4, ref_idx=r))


# ---- ISP sub-partitions ----------------------------------------------------------------------

def _isp_cases():
    """(nCbW, nCbH, sub-partition w, h) of every ISP-signalled CU 4..64 (both splits)."""
    out = []
    for cw in SIDES:
        for ch in SIDES:
            if cw * ch <= 16:
                continue
            n = 2 if (cw, ch) in ((4, 8), (8, 4)) else 4
            out += [(cw, ch, cw, ch // n), (cw, ch, cw // n, ch)]
    return out


ISP_CASES = _isp_cases()




def _isp_refs(rng, cw, ch, w, h, bd, kind, reversed_left):
    n_left, n_top = ch + h, cw + w
    seq = _line(rng, n_left + 1 + n_top, bd, kind).astype(np.int64)
    left = seq[n_left - 1::-1] if reversed_left else seq[:n_left][::-1].copy()
    return ReferenceSamples(top=seq[n_left + 1:], left=left, corner=int(seq[n_left]))


def _check_isp(refs, cw, ch, w, h, mode, bd):
    a = predict_from_refs(refs, w, h, mode, 0, bd, isp_cu=(cw, ch))
    assert a.dtype == np.int32 and a.shape == (h, w) and a.flags.c_contiguous
    b = predict_reference(refs, w, h, mode, 0, bd, isp_cu=(cw, ch))
    assert np.array_equal(a, b), (cw, ch, w, h, mode, bd)


def test_isp_cases_cover_small_sides():
    assert {1, 2} <= {min(w, h) for _, _, w, h in ISP_CASES}


@pytest.mark.parametrize("cw, ch, w, h", ISP_CASES)
def test_isp_every_shape_and_mode_once(cw, ch, w, h):
    rng = np.random.default_rng(1000 * cw + 10 * ch + w)
    for bd in (8, 10):
        refs = _isp_refs(rng, cw, ch, w, h, bd, "random", True)
        for mode in range(67):
            _check_isp(refs, cw, ch, w, h, mode, bd)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(ISP_CASES), st.sampled_from((8, 10)), st.sampled_from(KINDS),
       st.booleans())
def test_isp_equals_reference(seed, case, bd, kind, reversed_left):
    cw, ch, w, h = case
    rng = np.random.default_rng(seed)
    refs = _isp_refs(rng, cw, ch, w, h, bd, kind, reversed_left)
    for mode in range(67):
        _check_isp(refs, cw, ch, w, h, mode, bd)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((1, 2, 4, 8, 16, 32)), st.sampled_from((1, 2, 4, 8, 16, 32)),
       st.sampled_from(SIDES), st.sampled_from(SIDES), st.integers(0, 66))
def test_isp_any_sub_shape_equals_reference(seed, w, h, cw, ch, mode):
    # sub-partition shapes the syntax never pairs with that CU (the kernel's indexing holds anyway)
    if w > cw or h > ch:
        return
    rng = np.random.default_rng(seed)
    refs = _isp_refs(rng, cw, ch, w, h, 10, "random", False)
    _check_isp(refs, cw, ch, w, h, mode, 10)


def test_isp_chroma_and_other_lengths_unchanged():
    rng = np.random.default_rng(5)
    # chroma ignores isp_cu: its plain-block path (2w / 2h references)
    refs = ReferenceSamples(top=rng.integers(0, 256, 16), left=rng.integers(0, 256, 8), corner=3)
    for mode in range(67):
        assert np.array_equal(predict_from_refs(refs, 8, 4, mode, 1, 8, isp_cu=(16, 4)),
                              predict_reference(refs, 8, 4, mode, 1, 8, isp_cu=(16, 4)))
    # ISP with lengths other than nCbW + w / nCbH + h: predict_reference's result
    refs = ReferenceSamples(top=rng.integers(0, 256, 33), left=rng.integers(0, 256, 40), corner=3)
    for mode in range(67):
        assert np.array_equal(predict_from_refs(refs, 16, 4, mode, 0, 8, isp_cu=(16, 16)),
                              predict_reference(refs, 16, 4, mode, 0, 8, isp_cu=(16, 16)))


def test_isp_guards_unchanged():
    refs = ReferenceSamples(np.zeros(20, np.int64), np.zeros(20, np.int64), 0, 1)
    with pytest.raises(ValueError):
        predict_from_refs(refs, 4, 16, 50, 0, 8, isp_cu=(16, 16))  # ISP on line 1
    with pytest.raises(ValueError):
        predict_from_refs(ReferenceSamples(np.zeros(20, np.int64), np.zeros(20, np.int64), 0), 4, 16, 67, 0, 8,
                          isp_cu=(16, 16))
