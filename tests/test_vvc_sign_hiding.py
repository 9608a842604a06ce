"""Sign data hiding: the encoder's parity adjustment keeps the sub-blocks' significant span and
obeys the rule; the residual writer refuses levels that break it; FFmpeg (C and SIMD paths)
decodes streams with hidden signs of both parities, luma and chroma, in every preset, equal to
the encoder's reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ssgc_ref.vvc import encode_picture
from ssgc_ref.vvc.cabac import CabacWriter, ContextStates, RateEstimator
from ssgc_ref.vvc.residual_coding import code_residual, tables, zero_out
from ssgc_ref.vvc.sign_hiding import hide_signs, sign_hidden
from vvc_checks import WrittenCUs, decodes_to_recon

SIDES = (4, 8, 16, 32, 64)


def _subblocks(lv: np.ndarray):
    """Per sub-block: (levels in scan order n = 0..15, first, last significant n or None)."""
    lv = zero_out(lv)[0]  # a 64-sample side: the sub-blocks of its zero-out region
    h, w = lv.shape
    T = tables(w, h)
    for pos in T.sb_pos:
        a = lv.ravel()[pos]
        nz = np.flatnonzero(a)
        yield a, (int(nz[0]), int(nz[-1])) if nz.size else None


def _obeys(lv: np.ndarray) -> bool:
    for a, span in _subblocks(lv):
        if span and sign_hidden(*span) and (a[span[0]] < 0) != bool(np.abs(a).sum() & 1):
            return False
    return True


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(SIDES), st.sampled_from(SIDES), st.sampled_from((8, 10)),
       st.integers(12, 51), st.floats(0.05, 1.0))
def test_hide_signs_obeys_the_rule_and_keeps_the_span(seed, h, w, bd, qp, density):
    rng = np.random.default_rng(seed)
    coef = rng.laplace(0, rng.uniform(50, 3000), (h, w))
    coef[rng.random((h, w)) > density] = 0
    coef[32:, :] = 0  # DCT-II zero-out of 64-sample sides
    coef[:, 32:] = 0
    coef = np.round(coef).astype(np.int32)
    from ssgc_ref.vvc.quant import quantize

    lv = quantize(coef, qp, bd)
    out = hide_signs(lv, coef, qp, bd, lam=float(rng.uniform(1, 500)))
    assert out.dtype == np.int32 and out.shape == lv.shape
    assert _obeys(out)
    for (a, span), (b, span2) in zip(_subblocks(lv), _subblocks(out)):
        assert span == span2  # first and last significant positions never move
        d = np.abs(b.astype(np.int64) - a)
        assert d.sum() <= 1
        if d.sum():
            assert sign_hidden(*span)
            k = int(np.argmax(d))
            assert a[k] == 0 or b[k] == 0 or np.sign(b[k]) == np.sign(a[k])  # a kept level keeps its sign
    # levels that already obey the rule come back unchanged
    np.testing.assert_array_equal(hide_signs(out, coef, qp, bd, 10.0), out)


def test_writer_refuses_a_wrong_parity():
    lv = np.zeros((4, 4), dtype=np.int32)
    T = tables(4, 4)
    first, last = T.sb_pos[0][1], T.sb_pos[0][6]  # scan positions 1 and 6: hidden
    lv.flat[first], lv.flat[last] = 2, 1  # sum 3 (odd) but a positive first level
    assert not _obeys(lv)
    with pytest.raises(ValueError, match="parity"):
        code_residual(CabacWriter(ContextStates(30)), lv, 0, sign_hiding=True)
    code_residual(CabacWriter(ContextStates(30)), lv, 0, sign_hiding=False)
    lv.flat[first] = -2
    code_residual(CabacWriter(ContextStates(30)), lv, 0, sign_hiding=True)
    # the hidden sign is one bypass bin less
    on, off = RateEstimator(ContextStates(30)), RateEstimator(ContextStates(30))
    code_residual(on, lv, 0, sign_hiding=True)
    code_residual(off, lv, 0, sign_hiding=False)
    assert off.bits - on.bits == 1.0


class _Hidden(WrittenCUs):
    def hidden(self) -> dict:
        """Count of hidden signs in the written CUs by (component: 0 luma / 1 chroma, negative)."""
        out: dict = {}
        for cu in self.cus:
            assert cu.sign_hiding
            for tu in cu.tus:
                for c, lv in enumerate(tu):
                    if lv is None:
                        continue
                    for a, span in _subblocks(lv):
                        if span and sign_hidden(*span):
                            key = (min(c, 1), bool(a[span[0]] < 0))
                            out[key] = out.get(key, 0) + 1
        return out


def _planes(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    y = 128 + 50 * np.sin(xx / 3.1 + yy / 4.3) + rng.normal(0, 14, (h, w))
    c = [128 + 30 * np.sin(xx[::2, ::2] / 2.3 + k) + rng.normal(0, 8, ((h + 1) // 2, (w + 1) // 2))
         for k in (0, 1)]
    return [np.clip(np.round(p), 0, 255).astype(np.uint8) for p in [y] + c]


@pytest.mark.parametrize("preset,bd,qp", [("fast", 8, 22), ("medium", 8, 30), ("medium", 10, 27),
                                          ("slow", 8, 37)])
def test_streams_with_hidden_signs_decode(monkeypatch, preset, bd, qp):
    rec = _Hidden(monkeypatch)
    planes = _planes(np.random.default_rng(qp), 40, 56)
    if bd == 10:
        planes = [p.astype(np.uint16) << 2 for p in planes]
    res = encode_picture(*planes, qp=qp, preset=preset, bit_depth=bd, sign_hiding=True)
    decodes_to_recon(res)
    counts = rec.hidden()
    assert all(counts.get(k, 0) > 0 for k in ((0, False), (0, True))), counts
    if preset != "fast":
        assert counts.get((1, False), 0) + counts.get((1, True), 0) > 0, counts


def test_switch(monkeypatch):
    rec = WrittenCUs(monkeypatch)
    planes = _planes(np.random.default_rng(1), 32, 32)
    on = encode_picture(*planes, qp=30, sign_hiding=True)
    assert rec.cus and all(cu.sign_hiding for cu in rec.cus)
    rec.cus.clear()
    off = encode_picture(*planes, qp=30)  # no preset hides signs by default
    assert rec.cus and not any(cu.sign_hiding for cu in rec.cus)
    assert on.data != off.data
    decodes_to_recon(off)
