"""Intra sub-partitions (ISP) in the VVC intra encoder against FFmpeg's native decoder (PyAV), on its
C and SIMD code paths: forced horizontal and vertical splits on every CU shape the encoder allows, many
luma modes (planar, DC, pure and wide angles), with and without deblocking, zero and non-zero
sub-partitions (the inferred last tu_y_coded_flag), 8 and 10 bits; and the RD decision on random
pictures."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import ssgc_ref.vvc.cu_search as cu_search
from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.cabac import ContextStates, RateEstimator
from ssgc_ref.vvc.isp import (ISP_HOR_SPLIT, ISP_NO_SPLIT, ISP_VER_SPLIT, isp_allowed, isp_signalled,
                              sub_partitions, write_isp_transform_tree)
from vvc_checks import OneShape, WrittenCUs, decodes_to_recon, textured_planes

# planar, DC, near-diagonal, pure horizontal / vertical, the diagonals, and modes that the
# wide-angle mapping of a non-square CU replaces (2..7 when wider, 61..66 when taller)
_MODES = (0, 1, 2, 3, 5, 7, 10, 18, 26, 34, 42, 50, 58, 61, 63, 66)
_SHAPES = [(16, 16), (16, 32), (32, 16), (32, 32), (16, 8), (8, 16), (32, 8), (8, 32)]
_CASES = [(w, h, s) for w, h in _SHAPES for s in (ISP_HOR_SPLIT, ISP_VER_SPLIT) if isp_allowed(w, h, s)]


class ShapeISP(OneShape):
    """Splits every CTU down to CUs of one shape, each coded with ISP ``split`` and the next mode of
    _MODES."""

    def __init__(self, w: int, h: int, split: int, start: int) -> None:
        self.w, self.h, self.split_type, self.i = w, h, split, start

    def luma_mode(self, x, y, size):
        self.i += 1
        return _MODES[self.i % len(_MODES)]

    def isp(self, x, y, w, h):
        return self.split_type


@pytest.fixture
def isp_log(monkeypatch):
    """(w, h, split, luma levels per sub-partition) of every CU's ISP decision."""
    log = []
    orig = cu_search.choose_isp

    def wrapped(enc, x, y, w, h, *args):
        out = orig(enc, x, y, w, h, *args)
        log.append((w, h, out[0], out[1]))
        return out

    monkeypatch.setattr(cu_search, "choose_isp", wrapped)
    return log


@pytest.mark.parametrize("w,h,split", _CASES)
def test_forced_isp_decodes_bit_exactly(w, h, split, isp_log):
    rng = np.random.default_rng(w * 100 + h + split)
    k = _CASES.index((w, h, split))
    # 8 and 10 bits, each with and without deblocking across the cases; a low and a high QP
    for bd, deblocking, qp in ((8, k % 2 == 0, 24), (10, k % 2 == 1, 40)):
        planes = textured_planes(rng, 64, 64, bd, "top")
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="medium", ctu_size=32, deblocking=deblocking, max_mtt_depth=2,
                             forced=ShapeISP(w, h, split, int(rng.integers(len(_MODES)))), isp=True)
        decodes_to_recon(res)
    cus = [e for e in isp_log if (e[0], e[1]) == (w, h)]
    assert cus and all(e[2] == split and len(e[3]) == 4 for e in cus)
    # both the inferred last tu_y_coded_flag (earlier sub-partitions all zero) and coded ones
    assert any(all(lv is None for lv in e[3][:-1]) for e in cus)
    assert any(any(lv is not None for lv in e[3][:-1]) for e in cus)


@pytest.mark.parametrize("qp,bd", [(22, 8), (32, 8), (42, 8), (30, 10)])
def test_rd_decision_decodes_bit_exactly(qp, bd, isp_log):
    rng = np.random.default_rng(qp + bd)
    rgb = data.astronaut()[120:184, 200:296].astype(np.int64)  # 96x64: face, hair edges, fabric
    y = (rgb @ np.array([77, 150, 29])) >> 8
    cb = ((rgb[::2, ::2] @ np.array([-43, -85, 128])) >> 8) + 128
    cr = ((rgb[::2, ::2] @ np.array([128, -107, -21])) >> 8) + 128
    dt = np.uint8 if bd == 8 else np.uint16
    noise = rng.integers(0, 4, y.shape) if bd == 10 else 0
    planes = [np.clip((p << (bd - 8)) + (noise if p is y else 0), 0, (1 << bd) - 1).astype(dt) for p in (y, cb, cr)]
    res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="medium")  # ISP on by default
    decodes_to_recon(res)
    assert isp_log and {e[2] for e in isp_log} <= {ISP_NO_SPLIT, ISP_HOR_SPLIT, ISP_VER_SPLIT}
    assert any(e[2] == ISP_HOR_SPLIT for e in isp_log) and any(e[2] == ISP_VER_SPLIT for e in isp_log)


def test_slow_tries_both_splits_and_decodes(isp_log):
    rgb = data.astronaut()[140:172, 230:278].astype(np.int64)
    y = ((rgb @ np.array([77, 150, 29])) >> 8).astype(np.uint8)
    c = np.full((16, 24), 128, np.uint8)
    res = encode_picture(y, c, c, qp=27, preset="slow")
    decodes_to_recon(res)
    assert any(e[2] != ISP_NO_SPLIT for e in isp_log)


def test_isp_off_and_fast_skip_the_decision(isp_log):
    rng = np.random.default_rng(5)
    planes = textured_planes(rng, 32, 32, 8, "top")
    off = encode_picture(*planes, qp=30, preset="medium", isp=False)
    fast = encode_picture(*planes, qp=30, preset="fast")
    decodes_to_recon(off)
    assert not isp_log
    assert fast.data  # fast's default: ISP off
    assert not isp_log


def test_geometry_and_syntax_guards():
    assert isp_signalled(8, 8) and isp_signalled(32, 32) and not isp_signalled(64, 32)
    assert not isp_allowed(8, 8, ISP_HOR_SPLIT) and not isp_allowed(8, 8, ISP_VER_SPLIT)
    assert isp_allowed(8, 16, ISP_HOR_SPLIT) and not isp_allowed(8, 16, ISP_VER_SPLIT)
    assert not isp_allowed(32, 64, ISP_HOR_SPLIT) and not isp_allowed(16, 16, ISP_NO_SPLIT)
    assert sub_partitions(8, 16, 16, 32, ISP_HOR_SPLIT) == [(8, 16 + 8 * i, 16, 8) for i in range(4)]
    assert sub_partitions(8, 16, 32, 16, ISP_VER_SPLIT) == [(8 + 8 * i, 16, 8, 16) for i in range(4)]
    # the last sub-partition's cbf is inferred 1 after three zero ones: it cannot be empty
    with pytest.raises(ValueError):
        write_isp_transform_tree(RateEstimator(ContextStates(30)), [(None, None, None)] * 4)


class _ShapeISPLfnst(ShapeISP):
    """ShapeISP with lfnst_idx 1 and 2 in turn on every CU; ``modes`` replaces _MODES."""

    def __init__(self, w, h, split, start, modes=_MODES):
        super().__init__(w, h, split, start)
        self.modes = modes

    def luma_mode(self, x, y, size):
        self.i += 1
        return self.modes[self.i % len(self.modes)]

    def lfnst_idx(self, x, y, w, h):
        return 1 + (x // w + y // h) % 2


def test_forced_isp_with_lfnst_decodes_bit_exactly(monkeypatch):
    """ISP CUs coded with LFNST (every sub-partition has a side of 4 or 8 and the CU's lfnst_idx):
    the 4xN/Nx4 sub-partitions take the 16x16 kernels, which no other path of the encoder reaches."""
    from ssgc_ref.vvc.lfnst import lfnst_pred_mode, tr_set_idx
    from ssgc_ref.vvc.syntax import cu_lfnst_signalled

    cus = WrittenCUs(monkeypatch).cus
    rng = np.random.default_rng(7)
    for (w, h, split), qp in zip([(16, 16, ISP_HOR_SPLIT), (16, 16, ISP_VER_SPLIT), (32, 16, ISP_HOR_SPLIT),
                                  (16, 32, ISP_VER_SPLIT), (32, 32, ISP_HOR_SPLIT)], (22, 27, 22, 32, 27)):
        planes = textured_planes(rng, 64, 64, 8, "top")
        for modes in (_MODES, (0, 1)):  # planar and DC (transform set 0) once more, on their own
            forced = _ShapeISPLfnst(w, h, split, int(rng.integers(len(modes))), modes)
            res = encode_picture(*planes, qp=qp, preset="medium", ctu_size=32, max_mtt_depth=2, forced=forced)
            decodes_to_recon(res)
    small = {(tr_set_idx(lfnst_pred_mode(cu.luma_mode, cu.w, cu.h)), cu.lfnst_idx)
             for cu in cus if cu.isp and cu.lfnst_idx and cu_lfnst_signalled(cu)
             and min(sub_partitions(cu.x, cu.y, cu.w, cu.h, cu.isp)[0][2:]) == 4}
    assert {(s, i) for s in range(4) for i in (1, 2)} <= small, small
