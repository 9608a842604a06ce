"""Dependent quantisation (sh_dep_quant_used_flag): the decoder's QState walk and scaling, the
parameter-set flags, the trellis quantiser, and FFmpeg's native decoder (C and SIMD paths) decoding
equal to the encoder's reconstruction: random levels in every QState through the encoder's own
paths (every CU shape, 64-sample blocks, ISP sub-partitions, LFNST blocks, chroma), 8 and 10 bits,
QP 0..63 ends, and the RD search of each preset on textured pictures."""

from __future__ import annotations

import numpy as np
import pytest

from ssgc_format.errors import InputError
from ssgc_ref.vvc import block_coding, dep_quant, encode_picture
from ssgc_ref.vvc.bitwriter import BitWriter
from ssgc_ref.vvc.cabac import ContextStates, RateEstimator
from ssgc_ref.vvc.dep_quant import dq_dequantize, dq_quantize, trans_levels
from ssgc_ref.vvc.isp import ISP_HOR_SPLIT, ISP_VER_SPLIT
from ssgc_ref.vvc.parameter_sets import PictureParams, slice_header, sps_rbsp
from ssgc_ref.vvc.quant import LEVEL_SCALE, dequantize
from ssgc_ref.vvc.residual_coding import QSTATE_TRANS, code_residual, diag_scan
from ssgc_ref.vvc.transform import forward_dct2
from vvc_checks import OneShape, WrittenCUs, decodes_to_recon, textured_planes


# -- decoding process ---------------------------------------------------------------------------

def _walk(levels: np.ndarray) -> np.ndarray:
    """trans_levels() written from 7.3.11.11 without the encoder's tables: the scan of each 4x4
    sub-block (up-right diagonal of sub-blocks, then inside), from the last significant position
    back, skipping uncoded sub-blocks (all zero, not the first or the last)."""
    h, w = levels.shape
    order = [(4 * xs + x, 4 * ys + y) for xs, ys in diag_scan(w // 4, h // 4) for x, y in diag_scan(4, 4)]
    vals = [int(levels[y, x]) for x, y in order]
    last = max(i for i, v in enumerate(vals) if v)
    out = np.zeros_like(levels)
    state = 0
    for sb in range(last // 16, -1, -1):
        idx = range(min(last, 16 * sb + 15), 16 * sb - 1, -1)
        if 0 < sb < last // 16 and not any(vals[i] for i in idx):
            continue
        for i in idx:
            v = vals[i]
            x, y = order[i]
            if v:
                out[y, x] = (2 * abs(v) - (state > 1)) * (1 if v > 0 else -1)
            state = QSTATE_TRANS[state][abs(v) & 1]
    return out


def test_qstate_walk_by_hand():
    # a 4x4 block, coding order from the last position (scan index 3, (x, y) = (1, 1)) down to 0:
    # levels 1, 0, 2, -3 by scan index 3, 2, 1, 0
    lv = np.zeros((4, 4), dtype=np.int32)
    order = diag_scan(4, 4)
    for i, v in zip((3, 2, 1, 0), (1, 0, 2, -3)):
        x, y = order[i]
        lv[y, x] = v
    t = trans_levels(lv)
    # QState before each: 0 (level 1: t = 2), 2 (level 0), 1 (level 2: t = 4), 2 (level -3: t = -5)
    assert [int(t[order[i][1], order[i][0]]) for i in (3, 2, 1, 0)] == [2, 0, 4, -5]


@pytest.mark.parametrize("h,w", [(4, 4), (8, 8), (16, 4), (4, 32), (32, 32), (64, 64), (64, 16), (16, 64)])
def test_trans_levels_equal_the_walk(h, w):
    rng = np.random.default_rng(h * 97 + w)
    for _ in range(30):
        lv = np.round(rng.laplace(0, 3, (h, w))).astype(np.int32)
        lv[rng.random((h, w)) < rng.uniform(0.3, 0.97)] = 0
        if h > 32 or w > 32:
            lv[32:, :] = 0
            lv[:, 32:] = 0
        if rng.random() < 0.5:  # whole zero sub-blocks between coded ones
            lv[4:8, :] = 0
        if not lv.any():
            lv[0, 0] = 1
        zh, zw = min(h, 32), min(w, 32)
        want = np.zeros_like(lv)
        want[:zh, :zw] = _walk(lv[:zh, :zw])
        np.testing.assert_array_equal(trans_levels(lv), want)


@pytest.mark.parametrize("bd, qp", [(bd, qp) for bd in (8, 10) for qp in (-12, 0, 1, 37, 62, 63)
                                     if qp >= -6 * (bd - 8)])  # slice QPs from -QpBdOffset
@pytest.mark.parametrize("shape", [(4, 4), (8, 4), (16, 16), (32, 8), (64, 64)])
def test_scaling_is_qp_plus_one(bd, qp, shape):
    """8.7.3 with sh_dep_quant_used_flag: levelScale of qP + 1 (qP clipped first), bdShift + 1."""
    h, w = shape
    log_sum = (w.bit_length() - 1) + (h.bit_length() - 1)
    rect = log_sum & 1
    q = min(max(qp + 6 * (bd - 8), 0), 63 + 6 * (bd - 8)) + 1
    ls = 16 * LEVEL_SCALE[rect][q % 6] << (q // 6)
    shift = bd + rect + log_sum // 2 - 5 + 1
    t = np.random.default_rng(qp + 100).integers(-3000, 3000, shape).astype(np.int32)
    want = np.clip((t.astype(np.int64) * ls + (1 << (shift - 1))) >> shift, -32768, 32767)
    np.testing.assert_array_equal(dequantize(t, qp, bd, dep_quant=True), want)


def test_flags_in_the_sps_and_slice_header():
    base = dict(width=64, height=64, conf_right=0, conf_bottom=0, bit_depth=8, qp=30)
    off, on = PictureParams(**base), PictureParams(**base, dep_quant=True)
    assert sps_rbsp(off) != sps_rbsp(on)
    w_off, w_on = BitWriter(), BitWriter()
    slice_header(w_off, off)
    slice_header(w_on, on)
    assert w_off.getvalue() != w_on.getvalue()
    with pytest.raises(ValueError, match="exclude"):
        sps_rbsp(PictureParams(**base, dep_quant=True, sign_hiding=True))
    with pytest.raises(ValueError, match="exclude"):
        code_residual(RateEstimator(ContextStates(30)), np.ones((4, 4), np.int32), 0, True, True)


def test_contexts_follow_qstate():
    """The same levels code differently with and without dep_quant (sig contexts by QState, ZeroPos)."""
    lv = np.zeros((8, 8), dtype=np.int32)
    lv[0, :4] = (3, 1, 2, 1)
    lv[1, :3] = (1, 1, 2)
    a, b = RateEstimator(ContextStates(30)), RateEstimator(ContextStates(30))
    code_residual(a, lv, 0)
    code_residual(b, lv, 0, dep_quant=True)
    assert a.bits != b.bits and not np.array_equal(a.ctx.s0, b.ctx.s0)


# -- the trellis ----------------------------------------------------------------------------------

def test_trellis_with_a_tiny_lambda_beats_scalar_rounding():
    """With a tiny lambda the trellis minimises the distortion alone: its squared error is below that
    of plain rounding at the same QP without dependent quantisation (each quantiser has 2^(1/6)
    times its step, their union about half of it: the four-state trellis gains about 10% at high
    rates), and nothing lands outside the zero-out region."""
    rng = np.random.default_rng(3)
    for shape, qp, bd in (((8, 8), 27, 8), ((16, 4), 37, 8), ((32, 32), 22, 10), ((64, 64), 32, 8)):
        coef = forward_dct2(rng.normal(0, 40, shape).astype(np.int32), bd)
        lv = dq_quantize(coef, qp, bd, 0, 1e-6, ContextStates(qp))
        zh, zw = min(shape[0], 32), min(shape[1], 32)
        assert not lv[zh:, :].any() and not lv[:, zw:].any()
        d = dq_dequantize(lv, qp, bd).astype(np.float64)
        from ssgc_ref.vvc.quant import _scale_params
        ls, sh = _scale_params(shape, qp, bd)
        step = ls / 2.0 ** sh
        c = coef[:zh, :zw].astype(np.float64)
        scalar = np.round(c / step) * step
        assert ((c - d[:zh, :zw]) ** 2).sum() < 0.97 * ((c - scalar) ** 2).sum(), shape


def test_trellis_beats_scalar_rounding_in_rd_cost():
    """D + lambda R (the real rate) of the trellis' levels is below that of the nearest level of
    state 0's quantiser at every step (a valid, greedy dependent-quantisation path)."""
    from ssgc_ref.vvc.quant import _scale_params
    from ssgc_ref.vvc.rdoq import _energy_gain
    from ssgc_ref.vvc.residual_coding import residual_bits

    rng = np.random.default_rng(5)
    qp, bd = 32, 8
    lam = 0.57 * 2.0 ** ((qp - 12) / 3.0)
    wins = 0
    for _ in range(20):
        coef = forward_dct2(np.round(rng.laplace(0, 12, (8, 8))).astype(np.int32), bd)
        ls, sh = _scale_params((8, 8), qp, bd, True)
        delta = ls / 2.0 ** sh
        greedy = np.zeros((8, 8), np.int32)
        order = [(x, y) for x, y in diag_scan(8, 8)]
        state = 0
        # nearest reconstruction of the current state's quantiser, in coding order (all positions)
        for x, y in reversed(order):
            t = abs(coef[y, x]) / delta
            k = int(t / 2 + 0.5) if state < 2 else int((t + 1) / 2 + 0.5)
            greedy[y, x] = k if coef[y, x] >= 0 else -k
            state = QSTATE_TRANS[state][k & 1]
        gain = _energy_gain(8, 8, bd)

        def cost(lv):
            if not lv.any():
                return gain * float((coef.astype(np.float64) ** 2).sum())
            d = dq_dequantize(lv, qp, bd).astype(np.float64)
            return gain * float(((coef - d) ** 2).sum()) + lam * residual_bits(ContextStates(qp), lv, 0, 0.0,
                                                                               dep_quant=True)
        wins += cost(dq_quantize(coef, qp, bd, 0, lam, ContextStates(qp))) < cost(greedy) if greedy.any() else 1
    assert wins == 20


def test_levels_stay_in_the_transcoefflevel_range():
    """A 64x64 block at QP 0 with saturated coefficients: TransCoeffLevel within -32768..32767."""
    coef = np.full((64, 64), 32767, dtype=np.int32)
    coef[::2, 1::3] = -32768
    lv = dq_quantize(coef, 0, 8, 0, 1e-3, ContextStates(0))
    t = trans_levels(lv)
    assert np.abs(lv).max() > 10000 and np.abs(t).max() <= 32767


# -- FFmpeg ---------------------------------------------------------------------------------------

_FIRST8 = np.zeros((4, 4), dtype=bool)
for _x, _y in diag_scan(4, 4)[:8]:
    _FIRST8[_y, _x] = True


def _random_levels(monkeypatch, seed: int, lfnst: bool = False) -> None:
    """Replace the trellis' levels by random ones (random magnitudes, some large, and more non-zero
    positions where the coefficient is non-zero: LFNST's and the 64-point zero-out regions stay
    clear), so that every QState and both quantisers appear. ``lfnst``: chroma levels only in the
    first 8 scan positions, so that they let the CU carry lfnst_idx."""
    rng = np.random.default_rng(seed)
    orig = dep_quant.dq_quantize

    def rand(coef, qp, bd, c_idx, lam, ctx, passes=1):
        lv = orig(coef, qp, bd, c_idx, lam, ctx, passes)
        if not lv.any():
            return lv
        h, w = lv.shape
        cand = np.zeros((h, w), dtype=bool)
        cand[:32, :32] = coef[:32, :32] != 0
        pick = cand & (rng.random((h, w)) < rng.uniform(0.05, 0.6))
        pick |= lv != 0
        if lfnst and c_idx:
            keep = np.zeros((h, w), dtype=bool)
            keep[:4, :4] = _FIRST8[:h, :w]
            pick &= keep
        mags = rng.integers(0, 9, (h, w))
        big = rng.random((h, w)) < 0.03
        mags[big] = rng.integers(100, 3000, int(big.sum()))
        out = np.where(pick, mags * rng.choice([-1, 1], (h, w)), 0).astype(np.int32)
        if not out.any():
            out = lv
        return out

    monkeypatch.setattr(block_coding, "dq_quantize", rand)


class _Shape(OneShape):
    strict = False

    def __init__(self, w: int, h: int, lfnst: int | None = None, isp: int | None = None) -> None:
        self.w, self.h, self.lf, self.sp = w, h, lfnst, isp

    def lfnst_idx(self, x, y, w, h):
        return self.lf

    def isp(self, x, y, w, h):
        return self.sp


_SHAPES = [(8, 8, None, None), (16, 16, 1, None), (32, 32, 2, None), (64, 64, None, None), (64, 64, 1, None),
           (64, 32, None, None), (16, 64, None, None), (32, 8, None, None), (8, 16, 2, None),
           (16, 16, 0, ISP_HOR_SPLIT), (32, 16, 0, ISP_VER_SPLIT), (8, 32, 0, ISP_HOR_SPLIT),
           (16, 8, 0, ISP_VER_SPLIT)]


@pytest.mark.parametrize("w,h,lf,sp", _SHAPES)
def test_random_levels_in_every_state_decode(monkeypatch, w, h, lf, sp):
    _random_levels(monkeypatch, w * 1000 + h * 10 + (lf or 0) + 5 * (sp or 0), lfnst=bool(lf))
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(w + h)
    for bd, qp in ((8, 27), (10, 37)):
        planes = textured_planes(rng, 64, 64, bd, "left")
        res = encode_picture(*planes, qp=qp, bit_depth=bd, preset="medium", max_mtt_depth=2,
                             forced=_Shape(w, h, lf, sp), isp=sp is not None, dep_quant=True)
        decodes_to_recon(res)
    assert rec.cus and all(cu.dep_quant for cu in rec.cus)
    assert any((cu.w, cu.h) == (w, h) for cu in rec.cus)
    if lf:
        assert any(cu.lfnst_idx == lf for cu in rec.cus)
    if sp:
        assert any(cu.isp == sp for cu in rec.cus)
    # the levels visit every QState (some level coded in state 2 or 3: an odd TransCoeffLevel)
    odd = sum(int((np.abs(trans_levels(lv)) & 1).sum()) for cu in rec.cus for tu in cu.tus for lv in tu
              if lv is not None)
    assert odd > 0


@pytest.mark.parametrize("preset,bd,qp", [("fast", 8, 32), ("medium", 8, 22), ("medium", 10, 37),
                                          ("slow", 8, 42), ("fast", 8, 0), ("medium", 10, 0),
                                          ("medium", 8, 63), ("fast", 10, 63)])
def test_rd_search_streams_decode(monkeypatch, preset, bd, qp):
    rec = WrittenCUs(monkeypatch)
    planes = textured_planes(np.random.default_rng(qp + bd), 48, 72, bd, "top")
    res = encode_picture(*planes, qp=qp, bit_depth=bd, preset=preset, dep_quant=True)
    decodes_to_recon(res)
    assert rec.cus and all(cu.dep_quant for cu in rec.cus)
    if qp < 63:
        assert any(lv is not None for cu in rec.cus for tu in cu.tus for lv in tu)


def test_switch_and_exclusion(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    planes = textured_planes(np.random.default_rng(9), 32, 32, 8, "left")
    on = encode_picture(*planes, qp=30)  # every preset's default
    assert rec.cus and all(cu.dep_quant for cu in rec.cus)
    rec.cus.clear()
    off = encode_picture(*planes, qp=30, dep_quant=False)
    assert rec.cus and not any(cu.dep_quant for cu in rec.cus)
    assert on.data != off.data
    with pytest.raises(InputError, match="exclude"):
        encode_picture(*planes, qp=30, dep_quant=True, sign_hiding=True)
    # a preset's dependent quantisation yields to sign hiding asked for, and is left by dep_quant=False
    for preset in ("fast", "medium", "slow"):
        rec.cus.clear()
        encode_picture(*planes, qp=30, preset=preset)
        assert rec.cus and all(cu.dep_quant for cu in rec.cus)
        for kw in ({"sign_hiding": True}, {"dep_quant": False}):
            rec.cus.clear()
            encode_picture(*planes, qp=30, preset=preset, **kw)
            assert rec.cus and not any(cu.dep_quant for cu in rec.cus)
