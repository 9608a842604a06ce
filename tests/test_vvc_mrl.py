"""Multiple reference lines (MRL) in the VVC intra encoder against FFmpeg's native decoder (PyAV), on
its C and SIMD code paths: intra_luma_ref_idx 1 and 2 forced with every MPM index on every CU shape
the encoder codes (8x8 .. 32x32, the non-square shapes of binary splits, 64x32 CUs of one 64x32
or two 32x32 transform blocks), at the picture's left edge (reference samples substituted), in partial CTUs,
with LFNST, 8 and 10 bits; the RD decision on pictures; the prediction's fast path against the
step-by-step reference; the syntax guards."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage import data

from ssgc_format.ycbcr import rgb_to_ycbcr420
from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.cabac import ContextStates, RateEstimator
from ssgc_ref.vvc.intra_pred import ReferenceSamples, predict_from_refs, predict_reference, reference_samples
from ssgc_ref.vvc.mrl import mrl_signalled, write_ref_idx
from ssgc_ref.vvc.syntax import CodingUnit, write_coding_unit, write_luma_mode
from vvc_checks import BinLog, OneShape, WrittenCUs, decodes_to_recon, substitute, textured_planes

_MODES = (0, 1, 2, 18, 34, 50, 66, 10, 26, 42, 58)  # the CUs on a CTU's top row (no MRL syntax)


class ShapeMRL(OneShape):
    """Splits every CTU down to CUs of one shape; each CU below its CTU's top row is coded with
    intra_luma_ref_idx ``ref`` (or 1 and 2 in turn) and the next MPM index, the others with the
    next mode of _MODES; optionally lfnst_idx 1 and 2 in turn."""

    strict = False

    def __init__(self, w: int, h: int, ref: int | None, start: int, lfnst: bool = False) -> None:
        self.w, self.h, self.ref, self.i, self.lfnst = w, h, ref, start, lfnst
        self.j = start  # MPM index counter

    def luma_mode(self, x, y, size):
        self.i += 1
        return _MODES[self.i % len(_MODES)]

    def ref_idx(self, x, y, w, h):
        return self.ref if self.ref is not None else 1 + (self.i % 2)

    def mpm_idx(self, x, y, w, h):
        self.j += 1
        return self.j % 5

    def lfnst_idx(self, x, y, w, h):
        return 1 + (self.j // 5) % 2 if self.lfnst else None

    def isp(self, x, y, w, h):
        return 0


@pytest.fixture
def cus(monkeypatch) -> list[CodingUnit]:
    """Every CodingUnit the encoder writes."""
    return WrittenCUs(monkeypatch).cus


# (w, h, CTU size, preset): the square shapes, binary-split ones, and 64x32 CUs (two 32x32 TUs;
# BT of a 64x64 block needs MaxBtSizeY 64: slow)
_SHAPES = [(8, 8, 32, "medium"), (16, 16, 32, "medium"), (32, 32, 64, "medium"), (16, 8, 32, "medium"),
           (8, 16, 32, "medium"), (32, 16, 64, "medium"), (16, 32, 64, "medium"), (32, 8, 32, "medium"),
           (8, 32, 64, "medium"), (64, 32, 64, "slow")]


@pytest.mark.parametrize("w,h,ctu,preset", _SHAPES)
def test_forced_mrl_decodes_bit_exactly(w, h, ctu, preset, cus):
    k = _SHAPES.index((w, h, ctu, preset))
    rng = np.random.default_rng(100 + k)
    # 8 and 10 bits, lines 1 and 2, with and without deblocking / LFNST across the cases; a picture
    # of partial CTUs on its right and bottom edges
    # 64x32: one 64x32 TU (MaxTbSizeY 64) in the 8-bit run, two 32x32 TUs (MaxTbSizeY 32) in the 10-bit one
    for bd, ref, deblocking, qp, tb64 in ((8, 1, k % 2 == 0, 27, True), (10, 2, k % 2 == 1, 37, False)):
        planes = textured_planes(rng, 2 * ctu + 40, max(2 * ctu, 4 * w) + 24, bd, "left")
        forced = ShapeMRL(w, h, ref, int(rng.integers(5)), lfnst=k % 3 == 0)
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset=preset, ctu_size=ctu, deblocking=deblocking,
                             max_mtt_depth=2, forced=forced, mrl=True, tb64=tb64 if ctu == 64 else None)
        decodes_to_recon(res)
    shaped = [cu for cu in cus if (cu.w, cu.h) == (w, h)]
    mrl = [cu for cu in shaped if cu.ref_idx]
    assert mrl and {cu.ref_idx for cu in mrl} == {1, 2}
    assert all((cu.ref_idx is None) == (cu.y % ctu == 0) for cu in shaped)
    assert {cu.mpm.index(cu.luma_mode) for cu in mrl} == set(range(5))
    assert any(cu.x == 0 for cu in mrl)  # left reference column outside the picture: substituted
    if k % 3 == 0 and max(w, h) <= 32:
        assert any(cu.lfnst_idx for cu in mrl)


def test_mrl_on_random_content_and_the_rd_decision(cus):
    rng = np.random.default_rng(5)
    # random content (every line differs): forced lines and MPM indices, then the RD search
    for bd, qp, forced in ((8, 32, ShapeMRL(16, 16, None, 0)), (10, 27, None)):
        top = (1 << bd) - 1
        planes = [rng.integers(0, top + 1, s).astype(np.uint8 if bd == 8 else np.uint16)
                  for s in ((72, 80), (36, 40), (36, 40))]
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="medium", forced=forced, mrl=True)
        decodes_to_recon(res)
    del cus[:]
    # the RD decision picks farther lines on a natural picture (hair and fabric edges)
    rgb = np.ascontiguousarray(data.astronaut()[64:192, 160:288])
    for qp in (27, 32):
        res = encode_picture(*rgb_to_ycbcr420(rgb, 8), qp=qp, preset="medium", mrl=True)
        decodes_to_recon(res)
    counts = Counter(cu.ref_idx for cu in cus)
    assert counts[None] and counts[0] and counts[1] + counts[2], counts
    # a MIP CU (medium's MIP search) has no intra_luma_ref_idx either
    assert all((cu.ref_idx is None) == (cu.y % 64 == 0 or cu.mip is not None) for cu in cus)
    assert not any(cu.ref_idx and cu.isp is not None for cu in cus)


def test_mrl_off_and_fast_code_no_ref_idx(cus):
    planes = textured_planes(np.random.default_rng(3), 64, 64, 8, "left")
    for kw in ({"preset": "medium", "mrl": False}, {"preset": "slow", "mrl": False}, {"preset": "fast"}):
        del cus[:]
        res = encode_picture(*planes, qp=32, **kw)
        assert cus and all(cu.ref_idx is None for cu in cus)
        decodes_to_recon(res)


def _spec_reference_line(plane, avail, x0, y0, w, h, bd, r):
    """8.4.5.2.8/9 written per sample: (p[-1-r][y] for y = -1-r..2h-1, p[x][-1-r] for x = -r..2w-1),
    unavailable samples substituted in the specification's order."""
    pos = [(x0 - 1 - r, y0 + yy) for yy in range(2 * h - 1, -2 - r, -1)] + \
          [(x0 + xx, y0 - 1 - r) for xx in range(-r, 2 * w)]
    ok = [0 <= px < plane.shape[1] and 0 <= py < plane.shape[0] and bool(avail[py // 4, px // 4])
          for px, py in pos]
    return substitute([int(plane[py, px]) if o else None for (px, py), o in zip(pos, ok)], bd)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((4, 8, 16, 32)), st.sampled_from((4, 8, 16, 32)),
       st.integers(1, 2))
def test_reference_line_substitution_and_prediction(seed, w, h, r):
    """reference_samples(ref_idx=r) equals the per-sample process on random availability maps; the
    cached-index prediction equals predict_reference for every mode but planar."""
    rng = np.random.default_rng(seed)
    bd = int(rng.choice((8, 10)))
    plane = rng.integers(0, 1 << bd, (160, 160)).astype(np.int32)
    avail = rng.random((40, 40)) < rng.choice((0.0, 0.5, 0.9, 1.0))
    x0 = 4 * int(rng.integers(0, 8))
    y0 = 4 * int(rng.integers(1, 8))
    avail[y0 // 4:, x0 // 4:] = False  # the block and what follows it are not reconstructed
    refs = reference_samples(plane, avail, x0, y0, w, h, bd, 4, ref_idx=r)
    seq = _spec_reference_line(plane, avail, x0, y0, w, h, bd, r)
    n_left = 2 * h + r
    assert refs.ref_idx == r and refs.top.size == 2 * w + r and refs.left.size == 2 * h + r
    assert list(refs.left[::-1]) == seq[:n_left] and refs.corner == seq[n_left]
    assert list(refs.top) == seq[n_left + 1:]
    for mode in range(1, 67):
        a = predict_from_refs(refs, w, h, mode, 0, bd)
        b = predict_reference(refs, w, h, mode, 0, bd)
        assert a.dtype == b.dtype == np.int32
        assert np.array_equal(a, b), mode


def test_farther_line_processes():
    """On line r: DC averages p[0..w-1][-1-r] and p[-1-r][0..h-1]; pure vertical copies p[x][-1-r]
    (no PDPC); mode 66 reads ref[x + y + 2 + 2r] (the integer slope, no smoothing)."""
    w = h = 8
    r = 2
    top = np.arange(100, 100 + 2 * w + r)
    left = np.arange(10, 10 + 2 * h + r)
    refs = ReferenceSamples(top, left, 7, r)
    dc = predict_from_refs(refs, w, h, 1, 0, 8)
    assert (dc == (int(top[r:r + w].sum() + left[r:r + h].sum()) + w) >> 4).all()
    ver = predict_from_refs(refs, w, h, 50, 0, 8)
    assert (ver == top[r:r + w][None, :]).all()
    d66 = predict_from_refs(refs, w, h, 66, 0, 8)
    # ref[k] = top[k - 1], padded with its last sample: row y reads ref[x + iIdx + 1], iIdx = y + 1 + 2r
    assert all(d66[y, x] == top[min(x + y + 1 + 2 * r, top.size - 1)] for y in range(h) for x in range(w))


def test_syntax_and_guards():
    assert mrl_signalled(8, 64) and not mrl_signalled(64, 64) and not mrl_signalled(0, 32)

    for ref, bins in ((0, [(C.REF_IDX, 0)]), (1, [(C.REF_IDX, 1), (C.REF_IDX + 1, 0)]),
                      (2, [(C.REF_IDX, 1), (C.REF_IDX + 1, 1)])):
        s = BinLog()
        write_ref_idx(s, ref)
        assert s.bins == bins
    with pytest.raises(ValueError):
        write_ref_idx(BinLog(), 3)
    mpm = (1, 50, 18, 46, 54)
    s = BinLog()
    write_luma_mode(s, 18, mpm, ref_idx=1)  # only intra_luma_mpm_idx 2: bypass 110
    assert s.bins == [("bypass", 0b110, 3)]
    with pytest.raises(ValueError):
        write_luma_mode(BinLog(), 0, mpm, ref_idx=2)  # planar is not an MPM candidate
    cu = CodingUnit(0, 8, 16, 16, 50, 4, mpm, [(None, None, None)], isp=0, ref_idx=1)
    with pytest.raises(ValueError):
        write_coding_unit(RateEstimator(ContextStates(30)), cu)
    with pytest.raises(ValueError):
        predict_from_refs(ReferenceSamples(np.zeros(17), np.zeros(17), 0, 1), 8, 8, 0, 0, 8)
    with pytest.raises(ValueError):
        predict_from_refs(ReferenceSamples(np.zeros(17), np.zeros(17), 0, 1), 8, 8, 50, 1, 8)
