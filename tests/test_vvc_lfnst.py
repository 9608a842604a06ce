"""LFNST (H.266 low-frequency non-separable transform): the kernels, the inverse transform against a
loop-by-loop reading of clause 8.7.4.2, forward/inverse round trips, the lfnst_idx signalling
conditions, and FFmpeg's decoder (C and SIMD paths) on streams exercising every kernel path and the
signalling corner cases, forced and decided by the encoder."""

from __future__ import annotations

import collections
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.encoder import Forced
from ssgc_ref.vvc.lfnst import (ISP_HOR_SPLIT, ISP_NO_SPLIT, ISP_VER_SPLIT, forward_lfnst, inverse_lfnst,
                                lfnst_pred_mode, lfnst_signalled, lfnst_size, residual_flags, tr_set_idx)
from ssgc_ref.vvc.lfnst_kernels import KERNEL_4X4, KERNEL_8X8
from ssgc_ref.vvc.partition import NO_SPLIT
from ssgc_ref.vvc.syntax import cu_lfnst_signalled
from vvc_checks import WrittenCUs, decodes_to_recon

DIAG4 = [(x, y) for d in range(7) for y in range(min(d, 3), -1, -1) for x in [d - y] if x < 4]


def test_kernels_pinned_and_orthogonal():
    k4 = np.array(KERNEL_4X4, dtype=np.int8)
    k8 = np.array(KERNEL_8X8, dtype=np.int8)
    assert hashlib.sha256(k4.tobytes()).hexdigest() == \
        "2202d5dc356f5a32cb395d6d4637caec82a69c98ece2fd85fc9c321d2dc8faf0"
    assert hashlib.sha256(k8.tobytes()).hexdigest() == \
        "4c49800b159f27b21000a1669f9039aefcb9294347482f86f6361dfb2f7d0849"
    for flat, n in ((k4, 16), (k8, 48)):
        ks = flat.astype(np.int64).reshape(4, 2, 16, n)
        for s in range(4):
            for c in range(2):
                g = ks[s, c] @ ks[s, c].T  # rows: the 16 basis vectors, norm 128 up to rounding
                assert np.abs(np.diag(g) - 128 * 128).max() < 0.015 * 128 * 128
                assert np.abs(g - np.diag(np.diag(g))).max() < 0.015 * 128 * 128


def test_transform_set_table():
    assert [tr_set_idx(m) for m in (-14, -1, 0, 1, 2, 12, 13, 23, 24, 34, 44, 45, 55, 56, 66, 67, 80)] == \
        [1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 3, 2, 2, 1, 1, 1, 1]
    assert lfnst_pred_mode(2, 16, 8) == 67 and lfnst_pred_mode(66, 8, 16) == -1 and lfnst_pred_mode(0, 16, 4) == 0


def _inverse_by_the_text(d: np.ndarray, mode: int, idx: int) -> np.ndarray:
    """8.7.4.2/8.7.4.3 written out with the spec's d[x][y] (x = column) and explicit loops."""
    h, w = d.shape
    log2 = 3 if (w >= 8 and h >= 8) else 2
    n_out = 48 if log2 == 3 else 16
    nz = 8 if (w, h) in ((4, 4), (8, 8)) else 16
    kern = np.array(KERNEL_8X8 if log2 == 3 else KERNEL_4X4).reshape(4, 2, 16, n_out)[tr_set_idx(mode), idx - 1]
    u = [int(d[y, x]) for x, y in DIAG4[:nz]]
    v = [min(max((sum(int(kern[i][j]) * u[i] for i in range(nz)) + 64) >> 7, -32768), 32767) for j in range(n_out)]
    out = d.astype(np.int64).copy()
    n = 1 << log2
    for x in range(n):
        for y in range(n):
            if mode <= 34:
                if y < 4:
                    out[y, x] = v[x + (y << log2)]
                elif x < 4:
                    out[y, x] = v[32 + x + ((y - 4) << 2)]
            else:
                if x < 4:
                    out[y, x] = v[y + (x << log2)]
                elif y < 4:
                    out[y, x] = v[32 + y + ((x - 4) << 2)]
    return out


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([4, 8, 16, 32]), st.sampled_from([4, 8, 16, 32]), st.integers(-14, 80), st.sampled_from([1, 2]),
       st.integers(0, 2**31), st.integers(1, 32767))
def test_inverse_matches_the_text_and_round_trips(w, h, mode, idx, seed, amp):
    rng = np.random.default_rng(seed)
    nz = 8 if (w, h) in ((4, 4), (8, 8)) else 16
    d = np.zeros((h, w), dtype=np.int32)
    for x, y in DIAG4[:nz]:
        d[y, x] = rng.integers(-amp, amp + 1)
    c = inverse_lfnst(d, mode, idx)
    assert c.dtype == np.int32
    np.testing.assert_array_equal(c, _inverse_by_the_text(d, mode, idx))
    # the forward transform is the least-squares inverse: back to d within rounding (and the clip)
    u = forward_lfnst(c, mode, idx)
    if amp < 8000:
        assert np.abs(u.astype(np.int64) - d).max() <= 2
    # only the first nonZeroSize diagonal-scan positions of the top-left 4x4 are ever nonzero
    mask = np.zeros((h, w), dtype=bool)
    for x, y in DIAG4[:nz]:
        mask[y, x] = True
    assert not u[~mask].any()
    assert not inverse_lfnst(np.zeros((h, w), np.int32), mode, idx).any()


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        inverse_lfnst(np.zeros((4, 2), np.int32), 0, 1)
    with pytest.raises(ValueError):
        forward_lfnst(np.zeros((8, 8), np.int32), 0, 3)


def _block(w, h, *pos):
    b = np.zeros((h, w), dtype=np.int32)
    for x, y in pos:
        b[y, x] = 1
    return b


def test_signalling_conditions():
    dc = _block(8, 8, (0, 0))
    s1 = _block(8, 8, (0, 0), (0, 1))  # scan position 1
    s7 = _block(8, 8, (1, 2))  # scan position 7
    s8 = _block(8, 8, (2, 1))  # scan position 8: past nonZeroSize of an 8x8
    far = _block(16, 16, (4, 0))  # sub-block 1
    assert residual_flags(dc) == (False, False)
    assert residual_flags(s1) == (True, False)
    assert residual_flags(s7) == (True, False)
    assert residual_flags(s8) == (True, True)
    assert residual_flags(_block(16, 16, (2, 1))) == (True, False)  # 16 coefficients in a 16x16
    assert residual_flags(_block(4, 4, (2, 1))) == (True, True)  # chroma 4x4 past position 7
    assert residual_flags(_block(8, 4, (2, 1))) == (True, False)  # 8x4: nonZeroSize 16
    assert residual_flags(far) == (False, True)
    assert not lfnst_signalled([dc], 8, 8)  # LfnstDcOnly
    assert not lfnst_signalled([None, dc, None], 16, 16)
    assert lfnst_signalled([dc, s1[:4, :4], None], 8, 8)  # DC-only luma, chroma clears LfnstDcOnly
    assert lfnst_signalled([s7], 8, 8)
    assert not lfnst_signalled([s7, _block(4, 4, (2, 1))], 8, 8)  # zero-out violated by chroma 4x4
    assert not lfnst_signalled([far], 16, 16)  # zero-out violated by luma
    assert not lfnst_signalled([_block(32, 32, (0, 1))] * 4, 64, 64)  # Max(cbW, cbH) > MaxTbSizeY
    assert lfnst_signalled([_block(32, 32, (0, 1))], 32, 32)
    assert not lfnst_signalled([None], 16, 16)
    # ISP: no LfnstDcOnly condition; Min(lfnstWidth, lfnstHeight) >= 4 on the sub-partitions
    assert lfnst_size(16, 16, ISP_VER_SPLIT) == (4, 16) and lfnst_size(8, 4, ISP_HOR_SPLIT) == (8, 2)
    assert lfnst_signalled([dc[:4, :]], 16, 16, isp_split=ISP_HOR_SPLIT)
    assert not lfnst_signalled([dc[:2, :]], 8, 8, isp_split=ISP_HOR_SPLIT)
    assert not lfnst_signalled([dc], 8, 8, isp_split=ISP_NO_SPLIT)


# -- FFmpeg decodes ------------------------------------------------------------------------------

def _planes(rng, h, w, luma: str, chroma_amp: float):
    yy, xx = np.mgrid[0:h, 0:w]
    if luma == "noise":
        y = rng.integers(0, 256, (h, w))
    elif luma == "texture":
        y = 128 + 60 * np.sin(xx / rng.uniform(1.5, 4) + yy / rng.uniform(1.5, 4)) + rng.normal(0, 12, (h, w))
    else:  # smooth: (nearly) predicted by planar/angular modes
        y = 60 + 1.1 * xx + 0.6 * yy + rng.normal(0, 1.0, (h, w))
    ch, cw = (h + 1) // 2, (w + 1) // 2
    c = [128 + rng.normal(0, chroma_amp, (ch, cw)) for _ in range(2)]
    return [np.clip(np.round(p), 0, 255).astype(np.uint8) for p in [y] + c]


def _paths(cus):
    """The kernel paths of the CUs coded with lfnst_idx > 0 and a luma residual: (set, idx,
    transposed, nonZeroSize)."""
    out = set()
    for cu in cus:
        if cu.lfnst_idx and cu.tus[0][0] is not None:
            m = lfnst_pred_mode(cu.luma_mode, cu.w, cu.h)
            out.add((tr_set_idx(m), cu.lfnst_idx, m > 34, 8 if (cu.w, cu.h) == (8, 8) else 16))
    return out


class _ForcedPaths(Forced):
    """Random CU sizes (quad/binary/ternary), luma modes drawn from a list, lfnst_idx 1 or 2."""

    def __init__(self, rng, modes, lfnst=(1, 2), leaf64=False):
        self.rng, self.modes, self.lf, self.leaf64 = rng, modes, lfnst, leaf64

    def split_mode(self, x, y, w, h, options):
        if self.leaf64 and (x, y, w, h) == (0, 0, 64, 64) and NO_SPLIT in options:
            return NO_SPLIT  # a CU of four TUs
        if NO_SPLIT in options and (w * h <= 64 or self.rng.integers(5) == 0):
            return NO_SPLIT
        return int(self.rng.choice([o for o in options if o != NO_SPLIT] or list(options)))

    def luma_mode(self, x, y, size):
        return int(self.rng.choice(self.modes))

    def chroma_idx(self, x, y, size):
        return int(self.rng.integers(5))

    def lfnst_idx(self, x, y, w, h):
        return int(self.rng.choice(self.lf))


# modes reaching every set with and without the transposed placement (wide angles included through
# non-square CUs)
_MODES = [0, 1, 2, 3, 8, 12, 13, 18, 23, 24, 30, 34, 35, 40, 44, 45, 50, 55, 56, 60, 66]


def test_every_kernel_path_decodes(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(1)
    for k in range(3):
        planes = _planes(rng, 64, 96, "texture", 3.0)
        res = encode_picture(*planes, qp=22 + 6 * k, ctu_size=32, forced=_ForcedPaths(rng, _MODES), isp=False,
                             max_mtt_depth=2)
        decodes_to_recon(res)
    want = {(s, i, t, nz) for s in range(4) for i in (1, 2) for t in ((False,) if s == 0 else (False, True))
            for nz in (8, 16)}
    assert want <= _paths(rec.cus)
    # wide angles were among them
    assert any(cu.lfnst_idx and lfnst_pred_mode(cu.luma_mode, cu.w, cu.h) not in range(67) for cu in rec.cus)


def _categories(cus):
    cat = collections.Counter()
    for cu in cus:
        blocks = [lv for tu in cu.tus for lv in tu]
        sig = cu_lfnst_signalled(cu)
        flags = [residual_flags(lv) for lv in blocks if lv is not None]
        luma = [residual_flags(tu[0]) for tu in cu.tus if tu[0] is not None]
        if max(cu.w, cu.h) > 32:
            cat["several TUs"] += 1
        elif not any(z for _, z in flags) and not any(c for c, _ in flags):
            cat["dc only, not coded"] += not sig
        elif any(z for _, z in luma):
            cat["zero-out violated by luma"] += not sig
        elif cu.w == 8 and cu.h == 8 and any(z for _, z in flags[len(luma):]):
            cat["zero-out violated by chroma 4x4"] += not sig
        if sig and cu.lfnst_idx and not any(c for c, _ in luma):
            cat["coded with a DC-only luma"] += 1
        cat[f"coded {cu.lfnst_idx}"] += sig
    return cat


def test_signalling_corner_cases_decode(monkeypatch):
    # forced lfnst_idx on smooth luma (DC-only or no luma levels) under chroma of various strengths,
    # and on noisy luma (coefficients past the first sub-block when lfnst_idx falls back to 0)
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(2)
    for luma, camp, qp in (("smooth", 0.5, 30), ("smooth", 6.0, 27), ("smooth", 25.0, 22), ("noise", 2.0, 27)):
        planes = _planes(rng, 64, 128, luma, camp)
        res = encode_picture(*planes, qp=qp, ctu_size=64, max_mtt_depth=2, isp=False, tb64=False,
                             forced=_ForcedPaths(rng, [0, 1, 18, 50, 66], (1, 2), leaf64=luma == "noise"))
        decodes_to_recon(res)
    cat = _categories(rec.cus)
    for c in ("dc only, not coded", "zero-out violated by chroma 4x4", "coded with a DC-only luma", "coded 1",
              "coded 2", "several TUs"):
        assert cat[c] > 0, (c, cat)
    # a CU whose lfnst_idx is not coded carries none
    assert all(cu.lfnst_idx == 0 for cu in rec.cus if not cu_lfnst_signalled(cu))


def test_luma_zero_out_leaves_lfnst_idx_uncoded(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(3)
    for luma, qp in (("noise", 30), ("smooth", 22)):
        planes = _planes(rng, 32, 48, luma, 2.0)
        res = encode_picture(*planes, qp=qp, ctu_size=32, max_mtt_depth=2, isp=False,
                             forced=_ForcedPaths(rng, [0, 18, 50], (0,)))
        decodes_to_recon(res)
    cat = _categories(rec.cus)
    assert cat["zero-out violated by luma"] > 0 and cat["coded 0"] > 0


@pytest.mark.parametrize("preset,qps", [("medium", (22, 32, 42, 52)), ("slow", (27, 45))])
def test_rd_decisions_decode(monkeypatch, preset, qps):
    rec = WrittenCUs(monkeypatch)
    rng = np.random.default_rng(4)
    for qp in qps:
        planes = _planes(rng, 40, 56, "texture", 8.0)
        res = encode_picture(*planes, qp=qp, preset=preset)
        decodes_to_recon(res)
    assert any(cu.lfnst_idx for cu in rec.cus)  # the RD search does pick LFNST on textures


def test_switch_and_presets(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    planes = _planes(np.random.default_rng(5), 32, 32, "texture", 8.0)
    off = encode_picture(*planes, qp=30, lfnst=False)
    assert not any(cu.lfnst_idx or cu.lfnst_enabled for cu in rec.cus)
    rec.cus.clear()
    encode_picture(*planes, qp=30, preset="fast", lfnst=False)
    assert not any(cu.lfnst_enabled for cu in rec.cus)
    rec.cus.clear()
    on = encode_picture(*planes, qp=30)
    assert all(cu.lfnst_enabled for cu in rec.cus) and on.data != off.data
    rec.cus.clear()
    fast_on = encode_picture(*planes, qp=30, preset="fast")  # every preset has LFNST on by default
    assert all(cu.lfnst_enabled for cu in rec.cus)
    decodes_to_recon(fast_on)
