"""intra_pred.py's compiled prediction kernels (_angular_kernel, _planar_dc_kernel): predict_from_refs
equals predict_reference (the step-by-step processes) and the numpy fast path it replaced (kept
here, and only here, as the oracle), and the kernels equal their own ``py_func``, on random
references for every block shape 4..64, mode 0..66, luma and chroma, 8 and 10 bits, reference
lines 0..2, contiguous or reversed-view reference arrays (as reference_samples() returns)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import intra_pred as P
from ssgc_ref.vvc.intmath import clip3
from ssgc_ref.vvc.intra_pred import ReferenceSamples, predict_from_refs, predict_reference

SIDES = (4, 8, 16, 32, 64)
KINDS = ("random", "smooth", "flat", "extreme")


# ---- the pre-kernel fast path: predict_from_refs' numpy body at commit 90cd5fa (verbatim) ----

def _old_predict_from_refs(refs, w, h, mode, c_idx, bit_depth, isp_cu=None):
    r = P._check_ref_line(refs, mode, c_idx, isp_cu)
    if isp_cu is not None and c_idx == 0:
        return predict_reference(refs, w, h, mode, c_idx, bit_depth, isp_cu)
    mapped = P.wide_angle_mode(mode, w, h) if mode > P.INTRA_DC else mode
    if mapped in (P.INTRA_PLANAR, P.INTRA_DC):
        return predict_reference(refs, w, h, mode, c_idx, bit_depth)
    luma = c_idx == 0
    top, left, corner = refs.top, refs.left, refs.corner
    if r == 0 and luma and w * h > 32 and mapped in P._REF_FILTER_MODES:
        top, left = top.astype(np.int64), left.astype(np.int64)
        f_corner = (left[0] + 2 * corner + top[0] + 2) >> 2
        top, left, corner = P._filter_121(top, corner), P._filter_121(left, corner), int(f_corner)
    vertical = mapped >= P.INTRA_DIAG
    main, side = (top, left) if vertical else (left, top)
    line = np.concatenate([main, [corner], side]).astype(np.int64)
    idx, taps, pdpc_idx, pdpc_w, corner_w, n = P._angular_plan(w, h, mode, luma, r)
    acc = (taps * line[idx]).sum(axis=0)
    max_val = (1 << bit_depth) - 1
    if luma:
        pred = clip3((acc + 32) >> 6, 0, max_val)
    else:
        pred = (acc + 16) >> 5
    if pdpc_idx is not None:
        val = pred[:, :n]
        pred[:, :n] = clip3(val + (((line[pdpc_idx] - val) * pdpc_w + 32) >> 6), 0, max_val)
    elif corner_w is not None:
        hh = pred.shape[0]
        pred = clip3(pred + ((corner_w * (line[-side.size:][:hh, None] - corner) + 32) >> 6), 0, max_val)
    if not vertical:
        pred = pred.T
    return np.ascontiguousarray(pred, dtype=np.int32)


# ---- random references -----------------------------------------------------------------------

def _line(rng, n, bd, kind):
    hi = (1 << bd) - 1
    if kind == "random":
        return rng.integers(0, hi + 1, n)
    if kind == "smooth":
        return np.clip(np.cumsum(rng.integers(-6, 7, n)) + (1 << (bd - 1)), 0, hi)
    if kind == "flat":
        return np.full(n, int(rng.integers(0, hi + 1)))
    return rng.choice(np.array([0, hi]), n)  # extreme: the clips and the PDPC's largest corrections


def _refs(rng, w, h, bd, kind, r, reversed_left):
    seq = _line(rng, (2 * h + r) + 1 + (2 * w + r), bd, kind).astype(np.int64)
    n_left = 2 * h + r
    left = seq[n_left - 1::-1] if reversed_left else seq[:n_left][::-1].copy()
    return ReferenceSamples(top=seq[n_left + 1:], left=left, corner=int(seq[n_left]), ref_idx=r)


def _check(refs, w, h, mode, c_idx, bd):
    a = predict_from_refs(refs, w, h, mode, c_idx, bd)
    assert a.dtype == np.int32 and a.shape == (h, w) and a.flags.c_contiguous
    assert np.array_equal(a, predict_reference(refs, w, h, mode, c_idx, bd)), (w, h, mode, c_idx, bd)
    assert np.array_equal(a, _old_predict_from_refs(refs, w, h, mode, c_idx, bd)), (w, h, mode, c_idx, bd)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.sampled_from(KINDS), st.booleans())
def test_every_mode_equals_reference_and_old_fast_path(seed, w, h, bd, kind, reversed_left):
    rng = np.random.default_rng(seed)
    refs = _refs(rng, w, h, bd, kind, 0, reversed_left)
    for c_idx in (0, 1):
        for mode in range(67):
            _check(refs, w, h, mode, c_idx, bd)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.sampled_from(KINDS), st.integers(1, 2), st.booleans())
def test_farther_lines_equal_reference_and_old_fast_path(seed, w, h, bd, kind, r, reversed_left):
    rng = np.random.default_rng(seed)
    refs = _refs(rng, w, h, bd, kind, r, reversed_left)
    for mode in range(1, 67):  # MRL: luma, never planar
        _check(refs, w, h, mode, 0, bd)


@pytest.mark.parametrize("w", SIDES)
@pytest.mark.parametrize("h", SIDES)
def test_every_shape_and_mode_once(w, h):
    rng = np.random.default_rng(100 * w + h)
    for bd in (8, 10):
        for r in (0, 1, 2):
            refs = _refs(rng, w, h, bd, "random", r, True)
            for c_idx in ((0, 1) if r == 0 else (0,)):
                for mode in range(0 if r == 0 else 1, 67):
                    _check(refs, w, h, mode, c_idx, bd)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.integers(0, 66), st.integers(0, 1))
def test_kernels_equal_their_py_func(seed, w, h, bd, mode, c_idx):
    rng = np.random.default_rng(seed)
    refs = _refs(rng, w, h, bd, "random", 0, False)
    luma = c_idx == 0
    max_val = (1 << bd) - 1
    if mode <= 1:
        args = (refs.top, refs.left, refs.corner, w, h, mode, 0, luma and w * h > 32 and mode == 0, max_val)
        fn = P._planar_dc_kernel
    else:
        args = (refs.top, refs.left, refs.corner, *P._pred_plan(w, h, mode, luma, 0)[:2], luma,
                *P._pred_plan(w, h, mode, luma, 0)[2:], max_val)
        fn = P._angular_kernel
    assert np.array_equal(fn(*args), getattr(fn, "py_func", fn)(*args))


def test_other_reference_lengths_take_the_reference_path():
    # a longer line than 2w / 2h (an ISP CU's length on a plain block): predict_reference's result
    rng = np.random.default_rng(7)
    refs = ReferenceSamples(top=rng.integers(0, 256, 24), left=rng.integers(0, 256, 20), corner=9)
    for c_idx in (0, 1):
        for mode in range(67):
            assert np.array_equal(predict_from_refs(refs, 8, 8, mode, c_idx, 8),
                                  predict_reference(refs, 8, 8, mode, c_idx, 8)), mode


def test_guards_unchanged():
    refs = ReferenceSamples(np.zeros(17, np.int64), np.zeros(17, np.int64), 0, 1)
    with pytest.raises(ValueError):
        predict_from_refs(refs, 8, 8, 0, 0, 8)  # planar on line 1
    with pytest.raises(ValueError):
        predict_from_refs(refs, 8, 8, 50, 1, 8)  # chroma on line 1
    with pytest.raises(ValueError):
        predict_from_refs(ReferenceSamples(np.zeros(16, np.int64), np.zeros(16, np.int64), 0), 8, 8, 67, 0, 8)
