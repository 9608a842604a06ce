"""64-point transforms (sps_max_luma_transform_size_64_flag = 1, MaxTbSizeY 64): the 64-point DCT-II
and its zero-out, the residual coding of 64-sample sides (fast rate path equal to the per-bin one,
the last-position binarisation), and FFmpeg's native decoder (PyAV, C and SIMD paths) decoding equal
to the encoder's reconstruction: forced 64x64, 64x32, 32x64 and 64x16 CUs with residual up to the
edge of the zero-out region, LFNST and ISP on 64-sample CUs, 8 and 10 bits, deblocking on and off,
partial CTUs, and the RD search on random pictures."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_format.errors import InputError
from ssgc_ref.vvc import contexts as C
from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.cabac import ContextStates, RateEstimator
from ssgc_ref.vvc.encoder import Forced
from ssgc_ref.vvc.isp import ISP_HOR_SPLIT, ISP_VER_SPLIT, isp_allowed, isp_signalled
from ssgc_ref.vvc.lfnst import lfnst_signalled
from ssgc_ref.vvc.partition import BT_H, BT_V, NO_SPLIT, QT
from ssgc_ref.vvc.rdoq import rdoq
from ssgc_ref.vvc.residual_coding import code_residual
from ssgc_ref.vvc.sps_probe import annexb_nal_units
from ssgc_ref.vvc.transform import dct2_matrix, forward_dct2, inverse_dct2
from vvc_checks import WrittenCUs, decodes_to_recon

# SHA-256 of vvdec's g_trCoreDCT2P64 (source/Lib/CommonLib/RomTr.cpp, DEFINE_DCT2_P64_MATRIX
# expanded with its 63 values) as a row-major int64 64x64 array; computed once from that file
VVDEC_DCT2_P64_SHA256 = "66ef3c7e7ffb35941c41da658920ded768b5577358566796c63644632b2968a3"
ODD_ANGLES = (91, 90, 90, 90, 88, 87, 86, 84, 83, 81, 79, 77, 73, 71, 69, 65, 62, 59, 56, 52, 48, 44, 41, 37,
              33, 28, 24, 20, 15, 11, 7, 2)


# -- transform ----------------------------------------------------------------------------------

def test_dct64_matrix_is_the_standards():
    t = dct2_matrix(64)
    assert t.shape == (64, 64) and t.dtype == np.int64
    assert hashlib.sha256(np.ascontiguousarray(t).tobytes()).hexdigest() == VVDEC_DCT2_P64_SHA256
    assert tuple(t[1, :32]) == ODD_ANGLES  # cos((2i+1) pi / 128): the odd angle indices
    for n in (2, 4, 8, 16, 32):  # the smaller DCT-II are its even rows (H.266 8.7.4.5)
        assert np.array_equal(dct2_matrix(n), t[:: 64 // n, :n])


@pytest.mark.parametrize("h,w", [(64, 64), (64, 32), (32, 64), (64, 16), (8, 64), (64, 4)])
def test_forward_zero_out_and_round_trip(h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = (90 * np.cos(np.pi * xx / 45) * np.sin(np.pi * (yy + 3) / 55)).astype(np.int64)
    for bd in (8, 10):
        c = forward_dct2(smooth << (bd - 8), bd)
        assert not c[32:, :].any() and not c[:, 32:].any()
        assert np.abs(inverse_dct2(c, bd) - (smooth << (bd - 8))).max() <= 2 << (bd - 8)
    # the inverse reads only the first 32 coefficients of a 64-sample side (nonZeroW/H)
    rng = np.random.default_rng(h * w)
    d = rng.integers(-300, 300, (h, w)).astype(np.int32)
    zo = d.copy()
    zo[32:, :] = 0
    zo[:, 32:] = 0
    assert np.array_equal(inverse_dct2(d, 8), inverse_dct2(zo, 8))


def test_rdoq_keeps_the_zero_out():
    rng = np.random.default_rng(7)
    c = forward_dct2(rng.integers(-200, 200, (64, 64)), 8)
    lv = rdoq(c, 22, 8, 0, 0.57 * 2 ** (10 / 3), ContextStates(22))
    assert lv[:32, :32].any() and not lv[32:, :].any() and not lv[:, 32:].any()
    lv = rdoq(forward_dct2(rng.integers(-200, 200, (32, 64)), 8), 22, 8, 1, 50.0, ContextStates(22))
    assert lv.shape == (32, 64) and lv[:, :32].any() and not lv[:, 32:].any()


# -- residual coding ----------------------------------------------------------------------------

class _PerBin(RateEstimator):
    """A RateEstimator that code_residual does not recognise: every bin goes through its methods."""


class _Bins:
    """A sink recording every context-coded bin and every bypass bit count."""

    def __init__(self):
        self.bins, self.bypass_n = [], 0

    def bin(self, ci, b):
        self.bins.append((ci, b))

    def bypass(self, b):
        self.bypass_n += 1

    def bypass_bits(self, v, n):
        self.bypass_n += n


def _zo_levels(rng, h, w, density, scale, edge):
    lv = np.zeros((h, w), dtype=np.int32)
    zh, zw = min(h, 32), min(w, 32)
    sub = np.round(rng.laplace(0, scale, (zh, zw))).astype(np.int32)
    sub[rng.random((zh, zw)) > density] = 0
    if edge:  # a level on the last row / column of the zero-out region
        sub[rng.integers(zh) if edge == 1 else zh - 1, zw - 1 if edge == 1 else rng.integers(zw)] = 1
    if not sub.any():
        sub[0, 0] = -1
    lv[:zh, :zw] = sub
    return lv


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([(64, 64), (64, 32), (32, 64), (64, 16), (16, 64), (64, 8),
                                                    (8, 64), (64, 4), (4, 64)]),
       st.integers(0, 2), st.floats(0.02, 1.0), st.floats(0.3, 20.0), st.integers(0, 63), st.integers(0, 2),
       st.booleans())
def test_residual_bits_equals_per_bin_estimator_64(seed, shape, c_idx, density, scale, qp, edge, dq):
    rng = np.random.default_rng(seed)
    ctx = ContextStates(qp)
    ctx.s0[:] = rng.integers(0, 1024, len(ctx.s0)).tolist()
    ctx.s1[:] = rng.integers(0, 16384, len(ctx.s1)).tolist()
    lv = _zo_levels(rng, *shape, density, scale, edge)
    fast, slow = RateEstimator(ctx.copy()), _PerBin(ctx.copy())
    fast.bits = slow.bits = float(rng.random() * 100)
    code_residual(fast, lv, c_idx, dep_quant=dq)
    code_residual(slow, lv, c_idx, dep_quant=dq)
    assert fast.bits == slow.bits
    assert np.array_equal(fast.ctx.s0, slow.ctx.s0) and np.array_equal(fast.ctx.s1, slow.ctx.s1)


def test_last_position_binarisation_64():
    # last coefficient at (31, 0) of a 64x64 luma block: x prefix 9 = cMax (log2ZoTbWidth 5) so no
    # terminating 0, contexts offset 15 / shift 1 of log2TbWidth 6; y prefix 0 (one bin)
    lv = np.zeros((64, 64), dtype=np.int32)
    lv[0, 31] = 1
    s = _Bins()
    code_residual(s, lv, 0)
    assert s.bins[:9] == [(C.LAST_X + 15 + (i >> 1), 1) for i in range(9)]
    assert s.bins[9] == (C.LAST_Y + 15, 0)
    # a 32-wide block with the same level ends its prefix the same way, from its own contexts (10, 1)
    s32 = _Bins()
    code_residual(s32, lv[:32, :32].copy(), 0)
    assert s32.bins[:9] == [(C.LAST_X + 10 + (i >> 1), 1) for i in range(9)]
    # everything after the last position is the 32x32 zero-out region's
    assert s.bins[10:] == s32.bins[10:] and s.bypass_n == s32.bypass_n
    # chroma (a 64-wide chroma block does not occur in 4:2:0 at CTU 64, but the rule is the same)
    sc = _Bins()
    code_residual(sc, lv[:4].copy(), 1)
    assert sc.bins[:9] == [(C.LAST_X + 20 + (i >> 2), 1) for i in range(9)]


def test_levels_outside_the_zero_out_region_raise():
    lv = np.zeros((64, 32), dtype=np.int32)
    lv[40, 3] = 2
    with pytest.raises(ValueError, match="zero-out"):
        code_residual(_Bins(), lv, 0)
    with pytest.raises(ValueError, match="zero-out"):
        code_residual(RateEstimator(ContextStates(30)), lv, 0)


# -- signalling ---------------------------------------------------------------------------------

def test_signalling_up_to_max_tb():
    dc2 = np.zeros((64, 64), dtype=np.int32)
    dc2[0, 1] = 1
    assert not lfnst_signalled([dc2], 64, 64) and lfnst_signalled([dc2], 64, 64, max_tb=64)
    assert not isp_signalled(64, 32) and isp_signalled(64, 32, 64) and isp_signalled(64, 64, 64)
    # the search keeps ISP to CUs up to 32x32; the test hook may reach 64-sample ones
    assert not isp_allowed(64, 64, ISP_HOR_SPLIT) and isp_allowed(64, 64, ISP_HOR_SPLIT, 64)


def _sps_flag_bits(data: bytes) -> bytes:
    return annexb_nal_units(data)[0]


def test_switch_defaults_and_errors():
    rng = np.random.default_rng(11)
    planes = _planes(rng, 64, 64, 8, "texture")
    on = encode_picture(*planes, qp=32)  # medium: CTU 64, tb64 on
    off = encode_picture(*planes, qp=32, tb64=False)
    assert _sps_flag_bits(on.data) != _sps_flag_bits(off.data)
    fast = encode_picture(*planes, qp=32, preset="fast")  # CTU 32: no 64-point transforms
    assert fast.data == encode_picture(*planes, qp=32, preset="fast", tb64=False).data
    with pytest.raises(InputError, match="CTU size 64"):
        encode_picture(*planes, qp=32, ctu_size=32, tb64=True)
    for res in (on, off):
        decodes_to_recon(res)


# -- FFmpeg decodes -----------------------------------------------------------------------------

def _planes(rng, h, w, bd, kind):
    dt = np.uint8 if bd == 8 else np.uint16
    top = (1 << bd) - 1
    out = []
    for ph, pw in ((h, w), ((h + 1) // 2, (w + 1) // 2), ((h + 1) // 2, (w + 1) // 2)):
        yy, xx = np.mgrid[0:ph, 0:pw]
        if kind == "noise":
            p = rng.integers(0, top + 1, (ph, pw))
        else:
            p = (0.5 + 0.3 * np.sin(xx / rng.uniform(2, 9) + yy / rng.uniform(2, 9))) * top
            p = p + rng.normal(0, top / 40, (ph, pw))
        out.append(np.clip(np.round(p), 0, top).astype(dt))
    return out


class _Shapes(Forced):
    """CTUs split down to CUs of a cycle of shapes with a side of 64 (64x64, 64x32, 32x64, 64x16, ...;
    CTUs past the picture's edge as the implicit splits allow), random modes, optional lfnst_idx / ISP."""

    def __init__(self, rng, shapes, lfnst=None, isp=None):
        self.rng, self.shapes, self.lf, self.isp_split = rng, shapes, lfnst, isp
        self.k = 0
        self.want = shapes[0]

    def split_mode(self, x, y, w, h, options):
        if (w, h) == (64, 64):
            self.want = self.shapes[self.k % len(self.shapes)]
            self.k += 1
        tw, th = self.want
        if (w, h) == (tw, th) and NO_SPLIT in options:
            return NO_SPLIT
        for s in ((BT_H,) if h > th else ()) + ((BT_V,) if w > tw else ()) + (QT,):
            if s in options:
                return s
        return None

    def luma_mode(self, x, y, size):
        return int(self.rng.choice([0, 1, 2, 5, 18, 30, 34, 40, 50, 60, 66]))

    def chroma_idx(self, x, y, size):
        return int(self.rng.integers(5))

    def lfnst_idx(self, x, y, w, h):
        return None if self.lf is None else int(self.rng.choice(self.lf))

    def isp(self, x, y, w, h):
        return self.isp_split


_SHAPES = [(64, 64), (64, 32), (32, 64), (64, 16), (16, 64), (64, 8), (8, 64)]


def _tb_stats(cus):
    """Per CU with a 64-sample side: (w, h) -> whether some luma TB had a level in the last column and
    in the last row of its zero-out region."""
    out = {}
    for cu in cus:
        if max(cu.w, cu.h) < 64:
            continue
        for ly, _, _ in cu.tus:
            if ly is not None and ly.shape == (cu.h, cu.w):
                zh, zw = min(cu.h, 32), min(cu.w, 32)
                col, row = out.get((cu.w, cu.h), (False, False))
                out[(cu.w, cu.h)] = (col or bool(ly[:zh, zw - 1].any()), row or bool(ly[zh - 1, :zw].any()))
    return out


@pytest.mark.parametrize("bd,deblocking,size", [(8, True, (136, 200)), (10, False, (128, 128)),
                                               (10, True, (96, 72)), (8, False, (64, 64))])
def test_forced_64_shapes_decode(monkeypatch, bd, deblocking, size):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(bd * 1000 + size[0])
    for kind, qp in (("noise", 12), ("texture", 30)):
        planes = _planes(rng, *size, bd, kind)
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="slow", deblocking=deblocking,
                             forced=_Shapes(rng, _SHAPES), isp=False)
        decodes_to_recon(res)
    st = _tb_stats(rec.cus)
    if size[0] >= 128:  # room for a whole CTU: 64x64 CUs; noise at QP 12 reaches the region's edges
        assert st.get((64, 64)) == (True, True), st
    assert any(w == 64 or h == 64 for w, h in st), st


def test_lfnst_and_isp_on_64_cus_decode(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(21)
    for bd, qp in ((8, 27), (10, 35)):
        planes = _planes(rng, 128, 192, bd, "texture")
        for p in planes[1:]:  # flat chroma: its residual does not clear LfnstZeroOutSigCoeffFlag
            p[:] = p[0, 0]
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="slow", isp=False,
                             forced=_Shapes(rng, _SHAPES[:3], lfnst=(1, 2)))
        decodes_to_recon(res)
        for split in (ISP_HOR_SPLIT, ISP_VER_SPLIT):  # 64x16 / 16x64 sub-partitions (and 32x8 ... of 32x64)
            res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="slow", isp=True,
                                 forced=_Shapes(rng, _SHAPES[:3], isp=split))
            decodes_to_recon(res)
    lf64 = [cu for cu in rec.cus if max(cu.w, cu.h) == 64 and cu.lfnst_idx]
    isp64 = [cu for cu in rec.cus if (cu.w, cu.h) == (64, 64) and cu.isp]
    assert {cu.lfnst_idx for cu in lf64} == {1, 2} and {(cu.w, cu.h) for cu in lf64} >= {(64, 64), (64, 32)}
    assert {cu.isp for cu in isp64} == {ISP_HOR_SPLIT, ISP_VER_SPLIT}


@pytest.mark.parametrize("preset,bd,qps", [("medium", 8, (22, 37, 50)), ("slow", 10, (30,))])
def test_rd_decisions_decode(monkeypatch, preset, bd, qps):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(31)
    h, w = (72, 136)  # partial CTUs on both edges
    for qp in qps:
        planes = _planes(rng, h, w, bd, "texture")
        for p, s in zip(planes, (64, 32, 32)):
            p[:s, :s] = p[0, 0]  # a flat first CTU: a 64x64 CU wins there
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset=preset)
        decodes_to_recon(res)
    assert any((cu.w, cu.h) == (64, 64) and len(cu.tus) == 1 for cu in rec.cus)
