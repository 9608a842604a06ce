"""Matrix-based intra prediction (MIP) in the VVC intra encoder against FFmpeg's native decoder (PyAV),
on its C and SIMD code paths: every MIP mode in both transpositions forced on every CU shape the
encoder codes (8x8 .. 64x64, the non-square shapes of binary splits incl. 32x8 / 8x32 and 64-sided
ones, 64x64 / 64x32 CUs of several 32x32 transform blocks), at the picture's left and top edges
(substituted reference samples), in partial CTUs, neighbours' MPM lists and the chroma DM after MIP
CUs, LFNST on MIP CUs of at least 16x16, 8 and 10 bits; the RD search on a natural picture; the
prediction against the process written sample by sample; the tables' SHA-256; the syntax."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pytest
from skimage import data

from ssgc_format.ycbcr import rgb_to_ycbcr420
from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.mip import (mip_code, mip_decode, mip_flag_ctx, mip_num_modes, mip_predict, mip_predict_all,
                              mip_size_id, write_mip)
from ssgc_ref.vvc.mip_tables import MIP_SHAPES, MIP_SIZE0, MIP_SIZE1, MIP_SIZE2
from ssgc_ref.vvc.parameter_sets import PictureParams, sps_rbsp
from ssgc_ref.vvc.presets import TOOL_DEFAULTS
from ssgc_ref.vvc.syntax import CodingUnit, write_coding_unit
from vvc_checks import BinLog, OneShape, WrittenCUs, decodes_to_recon, textured_planes

_MODES = (0, 1, 2, 18, 34, 50, 66, 10, 26, 42, 58)  # luma modes of the regular CUs between MIP CUs
_CHROMA = (4, 0, 1, 2, 3)  # intra_chroma_pred_mode: DM (PLANAR after a MIP CU), planar (-> 66), ...


class ShapeMIP(OneShape):
    """Splits every CTU down to CUs of one shape; every fifth CU is a regular one (the next mode of
    _MODES: its MPM list reads MIP neighbours as PLANAR), the others take the MIP modes of their
    shape in turn, each untransposed then transposed; the chroma mode cycles through _CHROMA;
    optionally lfnst_idx 1 and 2 in turn."""

    strict = False

    def __init__(self, w: int, h: int, start: int, lfnst: bool = False) -> None:
        self.w, self.h, self.i, self.lfnst = w, h, start, lfnst
        self.j: dict = {}  # MIP CUs so far per shape

    def luma_mode(self, x, y, size):
        self.i += 1
        return _MODES[self.i % len(_MODES)]

    def mip(self, x, y, w, h):
        if self.i % 5 == 4:
            return None
        j = self.j.get((w, h), 0)
        self.j[(w, h)] = j + 1
        n = mip_num_modes(w, h)
        return j % n, (j // n) % 2

    def chroma_idx(self, x, y, size):
        return _CHROMA[self.i % len(_CHROMA)]

    def lfnst_idx(self, x, y, w, h):
        return 1 + self.i % 2 if self.lfnst else None

    def isp(self, x, y, w, h):
        return 0


@pytest.fixture
def cus(monkeypatch) -> list[CodingUnit]:
    """Every CodingUnit the encoder writes."""
    return WrittenCUs(monkeypatch).cus


# (w, h, CTU size, preset, tb64): square shapes, binary-split ones, and 64-sided CUs of one TU
# (MaxTbSizeY 64) or of several 32x32 TUs (MaxTbSizeY 32); BT of a 64x64 block needs MaxBtSizeY 64
_SHAPES = [(8, 8, 32, "medium", False), (16, 16, 32, "medium", False), (32, 32, 64, "medium", True),
           (64, 64, 64, "medium", True), (64, 64, 64, "medium", False), (16, 8, 32, "medium", False),
           (8, 16, 32, "medium", False), (32, 16, 64, "medium", True), (16, 32, 64, "medium", True),
           (32, 8, 32, "medium", False), (8, 32, 64, "medium", True), (64, 32, 64, "slow", True),
           (32, 64, 64, "slow", False)]


@pytest.mark.parametrize("w,h,ctu,preset,tb64", _SHAPES)
def test_forced_mip_decodes_bit_exactly(w, h, ctu, preset, tb64, cus):
    k = _SHAPES.index((w, h, ctu, preset, tb64))
    rng = np.random.default_rng(300 + k)
    n = mip_num_modes(w, h)
    # enough CUs of the shape for every mode twice (both transpositions) besides the regular ones;
    # partial CTUs on the right and bottom edges; 8 and 10 bits, with and without deblocking / LFNST
    cols = max(2 * ctu // w, 4)
    rows = -(-(2 * n * 5 // 4 + cols) // cols)
    lfnst_seen = False
    for bd, deblocking, qp in ((8, k % 2 == 0, 27), (10, k % 2 == 1, 37)):
        planes = textured_planes(rng, rows * h + 24, cols * w + 40, bd, "left")
        if bd == 10 and k % 2 == 0:
            # smooth chroma: residuals that let lfnst_idx be coded (the chroma blocks take part in its
            # condition); the 8-bit run keeps textured chroma for the chroma-mode derivation
            for c in planes[1:]:
                c[:] = c[:, :1]
        forced = ShapeMIP(w, h, int(rng.integers(5)), lfnst=k % 2 == 0)
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset=preset, ctu_size=ctu, deblocking=deblocking,
                             max_mtt_depth=2, forced=forced, mip=True, tb64=tb64)
        decodes_to_recon(res)
        shaped = [cu for cu in cus if (cu.w, cu.h) == (w, h)]
        assert {cu.mip for cu in shaped if cu.mip} == {(m, t) for m in range(n) for t in (0, 1)}
        del cus[:]
        mipcus = [cu for cu in shaped if cu.mip]
        assert any(cu.x == 0 for cu in mipcus) and any(cu.y == 0 for cu in mipcus)  # substituted references
        assert all(cu.luma_mode == 0 and cu.isp is None and cu.ref_idx is None for cu in mipcus)
        assert any(cu.chroma_idx == 0 for cu in mipcus)  # planar asked, vertical-diagonal 66 derived
        # regular CUs next to MIP ones: their MPM list took the MIP neighbour as PLANAR
        assert any(not cu.mip for cu in shaped)
        # intra_mip_flag's ctxInc: 3 for 4:1 shapes, else 0, 1 and 2 MIP neighbours all occur
        ctxs = {cu.mip_ctx for cu in shaped}
        assert ctxs == ({3} if max(w, h) > 2 * min(w, h) else {0, 1, 2}), ctxs
        lfnst_seen = lfnst_seen or any(cu.lfnst_idx for cu in mipcus)
    # lfnst_idx on MIP CUs of at least 16x16 only (forced on one TU, it stays where the residuals let
    # it be coded; the search may choose it too)
    if min(w, h) < 16:
        assert not lfnst_seen
    elif k % 2 == 0 and max(w, h) <= (64 if tb64 else 32):
        assert lfnst_seen


def test_mip_flag_contexts_and_a_mixed_picture(cus):
    """ctxInc of intra_mip_flag (the number of MIP neighbours; 3 for 4:1 shapes) on pictures of mixed
    shapes where the RD search picks MIP or not, 8 and 10 bits, MRL and ISP enabled beside MIP."""
    rng = np.random.default_rng(11)
    for bd, qp in ((8, 27), (10, 32)):
        planes = textured_planes(rng, 96, 136, bd, "top")
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="medium", max_mtt_depth=2, mip=True, mrl=True)
        decodes_to_recon(res)
    ctxs = Counter(cu.mip_ctx for cu in cus)
    assert {0, 1, 3} <= set(ctxs), ctxs
    assert any(cu.mip for cu in cus) and any(not cu.mip for cu in cus)
    for cu in cus:
        assert cu.mip_ctx == mip_flag_ctx(cu.w, cu.h, *_mip_neighbours(cus, cu))
        if cu.mip:
            assert cu.isp is None and cu.ref_idx is None and cu.luma_mode == 0


def _mip_neighbours(cus, cu):
    """(left, above) neighbour is a MIP CU, from the written CUs of the same picture before ``cu``."""
    i = cus.index(cu)
    first = max(j for j in range(i + 1) if cus[j].x == 0 and cus[j].y == 0)

    def covering(px, py):
        for c in reversed(cus[first:i]):
            if c.x <= px < c.x + c.w and c.y <= py < c.y + c.h:
                return c
        return None

    left = covering(cu.x - 1, cu.y) if cu.x > 0 else None
    above = covering(cu.x, cu.y - 1) if cu.y > 0 else None
    return bool(left and left.mip), bool(above and above.mip)


def test_mip_search_on_a_natural_picture(cus):
    rgb = np.ascontiguousarray(data.astronaut()[64:192, 160:288])
    planes = rgb_to_ycbcr420(rgb, 8)
    for preset in ("fast", "medium"):
        res = encode_picture(*planes, qp=32, preset=preset, mip=True)
        decodes_to_recon(res)
    mipcus = [cu for cu in cus if cu.mip]
    assert mipcus and len(mipcus) < len(cus)
    assert len({cu.mip for cu in mipcus}) > 3
    assert any(cu.lfnst_idx for cu in mipcus)  # LFNST chosen on a MIP CU of at least 16x16
    assert all(min(cu.w, cu.h) >= 16 for cu in mipcus if cu.lfnst_idx)


def test_mip_off_codes_no_flag(cus):
    planes = textured_planes(np.random.default_rng(3), 64, 64, 8, "left")
    for kw in ({"preset": "medium", "mip": False}, {"preset": "fast"}, {"preset": "medium"}):
        del cus[:]
        res = encode_picture(*planes, qp=32, **kw)
        on = kw.get("mip", TOOL_DEFAULTS[kw["preset"]]["mip"])
        assert cus and all((cu.mip_ctx is not None) == on and (cu.mip is None or on) for cu in cus)
        decodes_to_recon(res)


def test_sps_flag():
    base = dict(width=64, height=64, conf_right=0, conf_bottom=0, bit_depth=8, qp=32)
    a, b = sps_rbsp(PictureParams(**base)), sps_rbsp(PictureParams(**base, mip=True))
    assert a != b and len(a) == len(b)


# ---- tables ---------------------------------------------------------------------------------------

def test_tables_pinned():
    """mWeight as tabulated by vvdec (MipData.h) and uvg266 (mip_data_generic.h, its sizeId-2 rows
    without their leading 0 column), checked equal when the table was written; FFmpeg's decoding in
    the tests above exercises FFmpeg's own copy in every mode."""
    digests = ("060b64a1ef5d5fd6d02131f5af4a6026084aecfbfb7221b4becb067ee2769381",
               "28bbde4c8c050e0f680187d78a9c0b6b2269f063b37fe4952d6d4ff25832ad1c",
               "ef3d2ae10e0cc430978508870bf6adda5ad0c9bb5a3947485b7d5c5d79b87e75")
    for flat, shape, digest in zip((MIP_SIZE0, MIP_SIZE1, MIP_SIZE2), MIP_SHAPES, digests):
        a = np.asarray(flat, dtype="<i2")
        assert a.size == np.prod(shape) and 0 <= a.min() and a.max() <= 127
        assert hashlib.sha256(a.tobytes()).hexdigest() == digest
    assert MIP_SHAPES == ((16, 16, 4), (8, 16, 8), (6, 64, 7))
    sizes = ((4, 4), (4, 16), (16, 4), (8, 8), (8, 16), (64, 64))
    assert [mip_num_modes(w, h) for w, h in sizes] == [16, 8, 8, 8, 6, 6]


# ---- prediction -----------------------------------------------------------------------------------

def _spec_mip(top, left, w, h, mode, t, bd):
    """8.4.5.2.2 .. 8.4.5.2.5 read literally, one sample at a time."""
    sid = mip_size_id(w, h)
    bs, ps = (2, 4) if sid == 0 else (4, 4) if sid == 1 else (4, 8)
    flat, (_, no, ni) = (MIP_SIZE0, MIP_SIZE1, MIP_SIZE2)[sid], MIP_SHAPES[sid]

    def reduce(ref, n):
        f = n // bs
        if f == 1:
            return [int(v) for v in ref[:n]]
        return [(sum(int(ref[i * f + j]) for j in range(f)) + f // 2) >> (f.bit_length() - 1) for i in range(bs)]

    red = reduce(left, h) + reduce(top, w) if t else reduce(top, w) + reduce(left, h)
    if sid == 2:
        p = [red[i + 1] - red[0] for i in range(ni)]
    else:
        p = [(1 << (bd - 1)) - red[0]] + [red[i] - red[0] for i in range(1, ni)]
    ow = 32 - 32 * sum(p)
    uh, uv = w // ps, h // ps
    pred = [[None] * w for _ in range(h)]
    for yy in range(ps):
        for xx in range(ps):
            o = xx * ps + yy if t else yy * ps + xx
            acc = sum(flat[(mode * no + o) * ni + i] * p[i] for i in range(ni))
            v = min(max(((acc + ow) >> 6) + red[0], 0), (1 << bd) - 1)
            pred[(yy + 1) * uv - 1][(xx + 1) * uh - 1] = v
    if uh > 1:
        for yy in range(uv - 1, h, uv):
            for xx in range(w):
                if (xx + 1) % uh:
                    j, k = xx // uh, xx % uh + 1
                    before = int(left[yy]) if j == 0 else pred[yy][j * uh - 1]
                    after = pred[yy][(j + 1) * uh - 1]
                    pred[yy][xx] = ((uh - k) * before + k * after + uh // 2) // uh
    if uv > 1:
        for xx in range(w):
            for yy in range(h):
                if (yy + 1) % uv:
                    j, k = yy // uv, yy % uv + 1
                    before = int(top[xx]) if j == 0 else pred[j * uv - 1][xx]
                    after = pred[(j + 1) * uv - 1][xx]
                    pred[yy][xx] = ((uv - k) * before + k * after + uv // 2) // uv
    return np.array(pred)


@pytest.mark.parametrize("w,h", [(4, 4), (4, 8), (8, 4), (4, 16), (16, 4), (8, 8), (16, 8), (8, 16), (16, 16),
                                 (32, 8), (8, 32), (64, 16), (32, 32), (64, 64), (4, 64), (64, 8)])
def test_prediction_against_the_process(w, h):
    rng = np.random.default_rng(w * 100 + h)
    for bd in (8, 10):
        for kind in ("random", "extreme"):
            hi = (1 << bd) - 1
            if kind == "random":
                top, left = rng.integers(0, hi + 1, 2 * w), rng.integers(0, hi + 1, 2 * h)
            else:  # clipping at both ends
                top, left = np.where(rng.random(2 * w) < 0.5, 0, hi), np.where(rng.random(2 * h) < 0.5, hi, 0)
            allp = mip_predict_all(top, left, w, h, bd)
            n = mip_num_modes(w, h)
            assert allp.shape == (2 * n, h, w)
            for m in range(n):
                for t in (0, 1):
                    one = mip_predict(top, left, w, h, m, t, bd)
                    assert one.dtype == np.int32 and 0 <= one.min() and one.max() <= hi
                    np.testing.assert_array_equal(one, _spec_mip(top, left, w, h, m, t, bd), err_msg=f"{m} {t}")
                    np.testing.assert_array_equal(allp[2 * m + t], one)


def test_flat_references_predict_flat():
    """All inputs p[i] are 0 for flat references at 1 << (bitDepth - 1) (sizeId 0 and 1, whose p[0]
    carries the level) or at any level (sizeId 2): the prediction is that level."""
    for w, h in ((4, 4), (8, 8), (16, 32), (64, 64)):
        for m in range(mip_num_modes(w, h)):
            for t in (0, 1):
                for v in ((128, 77) if mip_size_id(w, h) == 2 else (128,)):
                    assert (mip_predict(np.full(2 * w, v), np.full(2 * h, v), w, h, m, t, 8) == v).all()


# ---- syntax ---------------------------------------------------------------------------------------

def test_syntax_and_guards():
    # truncated binary: cMax 5 (6 modes): 0, 1 in 2 bits, 2..5 as value + 2 in 3 bits; cMax 7 and 15
    # fixed 3 and 4 bits
    for (w, h), mode, code in (((16, 16), 0, (0, 2)), ((16, 16), 1, (1, 2)), ((16, 16), 2, (4, 3)),
                               ((64, 32), 5, (7, 3)), ((8, 8), 7, (7, 3)), ((4, 4), 9, (9, 4))):
        log = BinLog()
        write_mip(log, 1, w, h, (mode, 1))
        assert log.bins == [(C.MIP_FLAG + 1, 1), ("bypass", 1, 1), ("bypass",) + code]
    log = BinLog()
    write_mip(log, 3, 32, 8, None)
    assert log.bins == [(C.MIP_FLAG + 3, 0)]
    assert C.INIT_VALUE[C.MIP_FLAG:C.MIP_FLAG + 4] == [33, 49, 50, 25]
    assert C.SHIFT_IDX[C.MIP_FLAG:C.MIP_FLAG + 4] == [9, 10, 9, 6]
    assert [mip_flag_ctx(32, 8, True, True), mip_flag_ctx(8, 32, False, False), mip_flag_ctx(16, 8, True, True),
            mip_flag_ctx(16, 16, False, True), mip_flag_ctx(8, 16, False, False)] == [3, 3, 2, 1, 0]
    assert mip_decode(mip_code(5, 1)) == (5, 1) and mip_decode(66) is None
    with pytest.raises(ValueError):
        write_mip(BinLog(), 0, 16, 16, (6, 0))
    with pytest.raises(ValueError):
        mip_predict(np.zeros(16), np.zeros(16), 8, 8, 8, 0, 8)
    tus = [(None, None, None)]
    cu = CodingUnit(0, 0, 16, 16, 0, 4, (1, 50, 18, 46, 54), tus, mip=(1, 0), mip_ctx=0, isp=0)
    with pytest.raises(ValueError, match="MIP"):
        write_coding_unit(BinLog(), cu)
    with pytest.raises(ValueError, match="intra_mip_flag"):
        write_coding_unit(BinLog(), CodingUnit(0, 0, 16, 16, 0, 4, (1, 50, 18, 46, 54), tus, mip=(1, 0)))
    # a MIP CU writes the MIP syntax, then the chroma mode (no MPM syntax)
    log = BinLog()
    write_coding_unit(log, CodingUnit(0, 0, 16, 16, 0, 4, (1, 50, 18, 46, 54), tus, mip=(3, 0), mip_ctx=2))
    assert log.bins[:4] == [(C.MIP_FLAG + 2, 1), ("bypass", 0, 1), ("bypass", 5, 3), (C.CHROMA_MODE, 0)]


def test_forced_mip_is_checked():
    class Bad(OneShape):
        w = h = 16

        def mip(self, x, y, w, h):
            return (6, 0)

    planes = textured_planes(np.random.default_rng(1), 32, 32, 8, "left")
    with pytest.raises(ValueError, match="forced MIP"):
        encode_picture(*planes, qp=32, ctu_size=32, forced=Bad(), mip=True)
