"""Sample adaptive offset: FFmpeg (C and SIMD paths) decodes equal to the encoder's reconstruction
with random SAO parameters in every CTU (band offsets with wrapping band positions, the four edge
classes at picture edges and in partial CTUs, merges left and up, extreme offsets, 8 and 10 bits,
deblocking on and off), and with the encoder's own decisions; the decision lowers the SSD it
measures; bad parameters are refused."""

from __future__ import annotations

import numpy as np
import pytest

from ssgc_ref.vvc import encode_picture, encoder
from ssgc_ref.vvc import sao as S
from vvc_checks import decodes_to_recon


def _planes(rng, h, w, bd=8):
    yy, xx = np.mgrid[0:h, 0:w]
    y = 120 + 70 * np.sin(xx / 5.3 + yy / 7.1) + rng.normal(0, 10, (h, w))
    c = [128 + 40 * np.sin(xx[::2, ::2] / 3.3 + k) + rng.normal(0, 6, ((h + 1) // 2, (w + 1) // 2))
         for k in (0, 1)]
    out = [np.clip(np.round(p), 0, 255).astype(np.uint8) for p in [y] + c]
    return [p.astype(np.uint16) << 2 for p in out] if bd == 10 else out


def _random_comp(rng, bd, typ=None, eo_class=None, band=None) -> S.SaoComp:
    cmax = S.max_offset(bd)
    typ = int(rng.integers(3)) if typ is None else typ
    if typ == S.OFF:
        return S.OFF_COMP
    if typ == S.BAND:
        offs = tuple(int(v) for v in rng.choice([-cmax, -1, 0, 1, 3, cmax], 4))
        return S.SaoComp(S.BAND, offs, int(rng.choice([0, 5, 29, 30, 31])) if band is None else band, 0)
    a = [int(v) for v in rng.choice([0, 1, 2, cmax], 4)]
    return S.SaoComp(S.EDGE, (a[0], a[1], -a[2], -a[3]), 0,
                     int(rng.integers(4)) if eo_class is None else eo_class)


# (type, edge class) cycled through the explicitly coded CTUs, so that every picture has each
_KINDS = [(S.BAND, 0), (S.EDGE, 0), (S.EDGE, 1), (S.EDGE, 2), (S.EDGE, 3), (S.OFF, 0)]


def _random_grid(rng, rows, cols, bd):
    grid = []
    i = 0
    for ry in range(rows):
        row = []
        for rx in range(cols):
            if rx and (rx + ry) % 4 == 1:
                row.append(S.SaoCtu(row[rx - 1].comps, "left"))
                continue
            if ry and (rx + 3 * ry) % 4 == 2:
                row.append(S.SaoCtu(grid[ry - 1][rx].comps, "up"))
                continue
            t, k = _KINDS[i % len(_KINDS)]
            t2, k2 = _KINDS[(i * 5 + 3) % len(_KINDS)]
            i += 1
            band = (29, 30, 31, 0, 5)[i % 5]  # the first ones wrap past band 31
            cb = _random_comp(rng, bd, t2, k2, 31 - i % 3)
            cr = _random_comp(rng, bd, cb.type, cb.eo_class, 29 + i % 3)
            row.append(S.SaoCtu((_random_comp(rng, bd, t, k, band), cb, cr)))
        grid.append(row)
    return grid


@pytest.mark.parametrize("h,w,bd,deblocking,preset", [(72, 104, 8, True, "fast"), (96, 128, 10, True, "fast"),
                                                       (40, 136, 8, False, "fast"), (136, 198, 8, True, "medium")])
def test_random_parameters_decode(monkeypatch, h, w, bd, deblocking, preset):
    rng = np.random.default_rng(h * w + bd)
    seen = set()

    def forced(org, rec, ctu, visible, bd_, lam, qp):
        rows, cols = -(-rec[0].shape[0] // ctu), -(-rec[0].shape[1] // ctu)
        grid = _random_grid(rng, rows, cols, bd_)
        for row in grid:
            for s in row:
                S.check_ctu(s, bd_)
                seen.add(s.merge)
                seen.update((c, p.type, p.eo_class if p.type == S.EDGE else p.band > 27) for c, p in enumerate(s.comps))
        return grid

    monkeypatch.setattr(encoder, "sao_decide", forced)
    for qp in (27, 40):
        res = encode_picture(*_planes(rng, h, w, bd), qp=qp, bit_depth=bd, preset=preset, deblocking=deblocking)
        decodes_to_recon(res)
    assert {"left", "up", None} <= seen
    assert {(c, S.EDGE, k) for k in range(4) for c in range(3)} <= seen
    assert {(c, S.BAND, True) for c in range(3)} <= seen  # band positions that wrap past 31


def test_encoder_decisions_decode_and_pay(monkeypatch):
    rng = np.random.default_rng(7)
    picked = []
    orig = S.decide

    def spy(org, rec, ctu, visible, bd, lam, qp):
        grid = orig(org, rec, ctu, visible, bd, lam, qp)
        picked.append((grid, [p.copy() for p in org], [p.copy() for p in rec], ctu, bd))
        return grid

    monkeypatch.setattr(encoder, "sao_decide", spy)
    planes = _planes(rng, 96, 128)
    res = encode_picture(*planes, qp=32, preset="fast")
    decodes_to_recon(res)
    grid, org, rec, ctu, bd = picked[0]
    kinds = {p.type for row in grid for s in row for p in s.comps}
    assert kinds & {S.BAND, S.EDGE}
    out = S.apply_sao(rec, grid, ctu, bd)
    for c in range(3):  # the filter lowers the distortion the decision measured
        before = ((org[c].astype(np.int64) - rec[c]) ** 2).sum()
        after = ((org[c].astype(np.int64) - out[c]) ** 2).sum()
        assert after <= before
    off = encode_picture(*planes, qp=32, preset="fast", sao=False)
    assert off.data != res.data
    decodes_to_recon(off)


def test_nothing_chosen_writes_no_sao(monkeypatch):
    monkeypatch.setattr(encoder, "sao_decide", lambda org, rec, ctu, *a: [[S.SaoCtu()] * -(-rec[0].shape[1] // ctu)
                                                                         for _ in range(-(-rec[0].shape[0] // ctu))])
    planes = _planes(np.random.default_rng(2), 48, 48)
    on = encode_picture(*planes, qp=35, preset="fast")
    off = encode_picture(*planes, qp=35, preset="fast", sao=False)
    assert len(on.data) - len(off.data) in (0, 1)  # the SPS flag replaces a zero bit; two zero slice flags
    decodes_to_recon(on)


def test_bad_parameters_refused():
    with pytest.raises(ValueError, match="wrong signs"):
        S.check_ctu(S.SaoCtu((S.SaoComp(S.EDGE, (1, 0, 1, 0)), S.OFF_COMP, S.OFF_COMP)), 8)
    with pytest.raises(ValueError, match="bad parameters"):
        S.check_ctu(S.SaoCtu((S.SaoComp(S.BAND, (8, 0, 0, 0)), S.OFF_COMP, S.OFF_COMP)), 8)
    S.check_ctu(S.SaoCtu((S.SaoComp(S.BAND, (31, 0, 0, -31)), S.OFF_COMP, S.OFF_COMP)), 10)
    band = S.SaoComp(S.BAND, (1, 1, 1, 1), 3)
    with pytest.raises(ValueError, match="share"):
        S.check_ctu(S.SaoCtu((S.OFF_COMP, band, S.OFF_COMP)), 8)
