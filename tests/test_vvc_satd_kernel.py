"""The compiled SATD of the mode ranking (mode_decision._satd_blocks, _approx_satd): equal to the
Hadamard matrix products (satd_reference) of the approximate predictions (approx_predictions), on
hypothesis-random blocks, reference lines, shapes, bit depths and mode lists. Integers throughout,
so equal means equal."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import mode_decision as M
from ssgc_ref.vvc.intra_pred import ReferenceSamples

SIDES = st.sampled_from((4, 8, 16, 32, 64))


@st.composite
def _block(draw):
    w, h = draw(SIDES), draw(SIDES)
    bd = draw(st.sampled_from((8, 10)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # flat, noisy or saturated references: the DC and planar sums and the clip-free interpolation
    kind = draw(st.sampled_from(("noise", "flat", "extreme")))
    hi = (1 << bd) - 1
    if kind == "flat":
        v = int(rng.integers(0, hi + 1))
        top, left, corner = np.full(2 * w, v), np.full(2 * h, v), v
    elif kind == "extreme":
        top, left = rng.choice([0, hi], 2 * w), rng.choice([0, hi], 2 * h)
        corner = int(rng.choice([0, hi]))
    else:
        top, left, corner = rng.integers(0, hi + 1, 2 * w), rng.integers(0, hi + 1, 2 * h), int(rng.integers(0, hi + 1))
    refs = ReferenceSamples(top=top.astype(np.int64), left=left.astype(np.int64), corner=corner, ref_idx=0)
    org = rng.integers(0, hi + 1, (h, w)).astype(np.int32)
    return refs, org, w, h


@settings(max_examples=150, deadline=None)
@given(st.sampled_from((4, 8, 16, 32, 64)), st.sampled_from((4, 8, 16, 32, 64)), st.integers(1, 4),
       st.integers(0, 2**32 - 1), st.sampled_from((255, 1023, 65535)))
def test_satd_equals_matrix_products(w, h, n, seed, amp):
    diff = np.random.default_rng(seed).integers(-amp, amp + 1, (n, h, w))
    assert np.array_equal(M.satd(diff), M.satd_reference(diff))
    assert np.array_equal(M.satd(diff[0]), M.satd_reference(diff[0]))  # no leading axis


@settings(max_examples=120, deadline=None)
@given(_block())
def test_approx_satd_of_all_modes_equals_predictions(blk):
    refs, org, w, h = blk
    want = M.satd_reference(org[None].astype(np.int64) - M.approx_predictions(refs, w, h))
    got = M._approx_satd(M._line(refs).astype(np.int64), org.astype(np.int64), *M._gather_tables32(w, h),
                         np.arange(67, dtype=np.int64))
    assert np.array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(_block(), st.lists(st.integers(0, 66), min_size=1, max_size=6))
def test_ranking_is_the_satd_of_the_approximate_predictions(blk, modes):
    # every block size, all modes or the listed ones in their order (chroma lists repeat none)
    refs, org, w, h = blk
    want = M.satd_reference(org[None].astype(np.int64) - M.approx_predictions(refs, w, h))
    assert np.array_equal(M.approx_satd_all(refs, org, w, h), want)
    assert np.array_equal(M.approx_satd_modes(refs, org, w, h, modes), want[modes])
